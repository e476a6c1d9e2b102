"""The demo API keys: fixed, published secrets, for a local demonstration only.

The secrets are printed by the Makefile and the README, so they must never reach a
database that serves real people; ``seed_demo`` refuses to run outside demo mode.
"""

from __future__ import annotations

from typing import Final

from service.config import DEMO_ADMIN_KEY

# role -> secret.  The admin secret is the demo bootstrap admin key of service.config.
DEMO_KEYS: Final[dict[str, str]] = {
    "admin": DEMO_ADMIN_KEY,
    "counselor": "demo-counselor-key",
    "partner": "demo-partner-key",
    "kiosk": "demo-kiosk-key",
    "analyst": "demo-analyst-key",
}

# role -> the key's display name.
DEMO_KEY_NAMES: Final[dict[str, str]] = {
    "admin": "demo admin (阳泉市残联信息科)",
    "counselor": "demo counselor (阳泉市残疾人就业服务中心)",
    "partner": "demo partner (阳泉就业网)",
    "kiosk": "demo kiosk (阳泉市残疾人专场招聘会)",
    "analyst": "demo analyst (阳泉市残联统计)",
}
