"""Where a partner's answer places a seeker: the home moved 2 to 4 km in a direction of its own.

A partner sees candidates only through what matching makes of them (eligibility, score,
order), and with a few calls (moving its own vacancy) it could work the home back from
those.  So whenever the answer goes to a partner, matching reads this displaced point
instead of the home.  The offset is drawn once per seeker from a keyed hash of the
seeker's id: the same for every partner and every query, so repeated or pooled answers
cannot average it away; not computable without the server secret; never under
``MIN_KM``, so the best any sequence of partner calls can recover is a point at least
that far from the home.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import numpy as np

from service.models.crypto import Cipher

EARTH_RADIUS_KM: Final = 6371.0088
MIN_KM: Final = 2.0
MAX_KM: Final = 4.0
_CONTEXT: Final = "seeker-location-displacement"
_UNIT: Final = float(2**64)

# A keyed hash of a seeker id (32 bytes): what its displacement is drawn from.
LocationKey = Callable[[str], bytes]


def location_key(cipher: Cipher) -> LocationKey:
    """The seeker-id hash under the server secret (HMAC-SHA256, its own context)."""
    return lambda seeker_id: bytes.fromhex(cipher.lookup_hash(seeker_id, _CONTEXT))


def offsets(seeker_ids: Sequence[str], key: LocationKey) -> tuple[np.ndarray, np.ndarray]:
    """Each seeker's displacement: distance in km (uniform over the annulus' area, so
    ``MIN_KM`` to ``MAX_KM``) and bearing in radians (uniform)."""
    raw = b"".join(key(seeker_id)[:16] for seeker_id in seeker_ids)
    draws = np.frombuffer(raw, dtype=">u8").reshape(-1, 2).astype(np.float64) / _UNIT
    km = np.sqrt(MIN_KM**2 + draws[:, 0] * (MAX_KM**2 - MIN_KM**2))
    return km, 2 * np.pi * draws[:, 1]


def displaced_location(
    lat: np.ndarray, lon: np.ndarray, seeker_ids: Sequence[str], key: LocationKey
) -> tuple[np.ndarray, np.ndarray]:
    """The displaced points (degrees) of seekers at ``lat``/``lon``; NaN stays NaN (a
    seeker without coordinates keeps the same-city rule)."""
    km, bearing = offsets(seeker_ids, key)
    delta = km / EARTH_RADIUS_KM
    phi, lmb = np.radians(lat), np.radians(lon)
    phi2 = np.arcsin(np.sin(phi) * np.cos(delta) + np.cos(phi) * np.sin(delta) * np.cos(bearing))
    lmb2 = lmb + np.arctan2(
        np.sin(bearing) * np.sin(delta) * np.cos(phi), np.cos(delta) - np.sin(phi) * np.sin(phi2)
    )
    lon2 = (np.degrees(lmb2) + 540.0) % 360.0 - 180.0
    return np.degrees(phi2), lon2
