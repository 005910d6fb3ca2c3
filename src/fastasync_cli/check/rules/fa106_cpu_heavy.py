"""FA106 cpu-heavy

## What it does
Finds CPU-heavy calls reached from an `async def`, directly or through plain `def`
helpers: password hashing (`bcrypt`, `hashlib.pbkdf2_hmac`, `hashlib.scrypt`,
`passlib`, `argon2`, `pwdlib`), image operations (`PIL.Image.Image.resize`,
`thumbnail`, `convert`, `save`, ...), RSA key generation.

## Why is this bad?
They hold the CPU for tens to hundreds of milliseconds (bcrypt with its default cost:
about 250 ms), and the event loop answers nothing meanwhile. The threadpool is no cure
either for pure-Python work: the GIL starves the loop.

## Example
```python
def hash_password(password: str) -> bytes:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt())

@router.post("/users")
async def create_user(user: UserIn) -> UserOut:
    hashed = hash_password(user.password)  # FA106
    ...
```

## Use instead
Offload it: the libraries above release the GIL, so a worker thread works; for
pure-Python work use a process pool from the lifespan.
```python
@router.post("/users")
async def create_user(user: UserIn) -> UserOut:
    hashed = await anyio.to_thread.run_sync(hash_password, user.password)
    ...
```
"""

from fastasync_cli.check.rules import Rule

RULE = Rule(
    code="FA106",
    name="cpu-heavy",
    summary="CPU-heavy work reached from an async function",
    fix="offload it with `anyio.to_thread.run_sync` (C code releasing the GIL) or a "
    "process pool (practice: CPU-heavy work never runs on the event loop)",
    doc=__doc__ or "",
)
