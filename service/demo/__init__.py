"""A deterministic demo data set for Yangquan (阳泉市, Shanxi): keys, employers, vacancies,
job seekers and a year of their casework, all fictional, all created through the service
layer.

``from service.demo import DEMO_KEYS`` is light; ``service.demo.seed.seed_demo`` loads it.
"""

from service.demo.keys import DEMO_KEYS

__all__ = ["DEMO_KEYS"]
