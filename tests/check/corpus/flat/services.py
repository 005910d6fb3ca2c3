import http_util as hu


def fetch(item_id: int) -> bytes:
    return hu.get(f"https://items.example.com/{item_id}")


class Catalog:
    def __init__(self, name: str) -> None:
        self.name = name

    def load(self, item_id: int) -> bytes:
        return self._read(item_id)

    def _read(self, item_id: int) -> bytes:
        return fetch(item_id)

    @classmethod
    def default(cls) -> "Catalog":
        return cls("default")


def slow_lookup(item_id: int) -> int:
    return item_id


def hashed(data: bytes) -> bytes:
    import hashlib

    return hashlib.pbkdf2_hmac("sha256", data, b"salt", 600_000)
