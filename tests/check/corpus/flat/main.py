from typing import Annotated

from fastapi import Depends, FastAPI

from services import Catalog, fetch, hashed, slow_lookup

app = FastAPI()


def get_catalog() -> Catalog:
    return Catalog.default()


@app.get("/items/{item_id}")
async def handler(item_id: int) -> bytes:
    return fetch(item_id)  # expect: FA101


@app.get("/catalog/{item_id}")
async def from_catalog(item_id: int, catalog: Annotated[Catalog, Depends(get_catalog)]) -> bytes:
    return catalog.load(item_id)  # expect: FA101


@app.get("/catalog-default/{item_id}")
async def from_default(item_id: int, catalog: "Catalog" = Depends(get_catalog)) -> bytes:
    data = catalog.load(item_id)  # noqa: FA101
    return hashed(data)  # expect: FA106


@app.get("/lookup/{item_id}")
async def lookup(item_id: int) -> int:
    def inner() -> int:
        return slow_lookup(item_id)

    return inner()


@app.get("/silenced/{item_id}")
async def silenced(item_id: int) -> bytes:
    return fetch(item_id)  # noqa
