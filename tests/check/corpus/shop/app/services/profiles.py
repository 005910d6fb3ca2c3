from app.core import http_util as hu


def fetch_profile(user_id: int) -> dict:
    return hu.get_json(f"https://profiles.example.com/users/{user_id}")


def fetch_profile_patiently(user_id: int) -> dict:
    return hu.get_with_retry(f"https://profiles.example.com/users/{user_id}")
