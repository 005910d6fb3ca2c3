"""FA103 sync-database

## What it does
Finds synchronous database access reached from an `async def`, directly or through
plain `def` helpers: SQLAlchemy's `Session`, `Engine` and `Connection` and the
reflection of `inspect(engine)`, SQLModel's `Session`, `sqlite3`, `psycopg2`,
`psycopg` (sync), `pymysql`, `MySQLdb`, `mysql.connector`, `pymongo`, and Django
querysets and model methods that hit the database. Building a session or a query
does no I/O and is not reported; running it is.

## Why is this bad?
Every query waits on the network with the event loop blocked: one slow query per
request serialises the whole app.

## Example
```python
@router.get("/items")
async def list_items(db: Session = Depends(get_db)) -> list[Item]:
    return db.query(Item).all()  # FA103
```

## Use instead
An async engine and `AsyncSession` from the lifespan, awaited; or a plain `def`
endpoint, which FastAPI runs in its threadpool:
```python
@router.get("/items")
async def list_items(db: AsyncSessionDep) -> list[Item]:
    return list(await db.scalars(select(Item)))
```
"""

from fastasync_cli.check.rules import Rule

RULE = Rule(
    code="FA103",
    name="sync-database",
    summary="Synchronous database access reached from an async function",
    fix="use an async engine and `AsyncSession` made in the lifespan, or a plain `def` "
    "endpoint (practice: never a synchronous session or driver in `async def`)",
    doc=__doc__ or "",
)
