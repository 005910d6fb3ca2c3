"""A requests-based helper, as found in many code bases."""

import time
import urllib.request

import requests as rq


def get_json(url: str) -> dict:
    response = rq.get(url, timeout=5)
    response.raise_for_status()
    return response.json()


def get_with_retry(url: str, attempts: int = 3) -> dict:
    for attempt in range(attempts):
        try:
            return get_json(url)
        except rq.RequestException:
            time.sleep(2**attempt)
    raise RuntimeError(url)


def download(url: str, target: str) -> None:
    urllib.request.urlretrieve(url, target)
