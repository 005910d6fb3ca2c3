import requests


def get(url: str) -> bytes:
    return requests.get(url, timeout=10).content
