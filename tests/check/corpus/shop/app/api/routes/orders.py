import anyio
from fastapi import APIRouter, BackgroundTasks

from app.jobs import queue_by_name, queue_receipt, receipt_status
from app.media import archive, convert_to_pdf, read_template, rebuild_thumbnails, send_welcome_email
from app.sync_bridge import fetch_all_sync, gather_all, run_blocking
from app.worker import rebuild_index

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post("/")
async def create_order(order_id: int) -> dict:
    task_id = queue_receipt(order_id)  # expect: FA104
    return {"task": task_id}


@router.post("/offloaded")
async def create_order_offloaded(order_id: int) -> dict:
    with anyio.fail_after(5):
        task_id = await anyio.to_thread.run_sync(queue_receipt, order_id)
    return {"task": task_id}


@router.get("/status/{task_id}")
async def order_status(task_id: str) -> dict:
    return {"status": receipt_status(task_id)}  # expect: FA104


@router.post("/reindex")
async def reindex() -> None:
    rebuild_index.delay()  # expect: FA104
    queue_by_name("shop.cleanup")  # expect: FA104


@router.get("/report")
async def report() -> list[int]:
    return fetch_all_sync()  # expect: FA105


@router.get("/report/awaited")
async def report_awaited() -> list[int]:
    return await gather_all()


@router.get("/report/loop")
async def report_loop() -> list[int]:
    return run_blocking(gather_all())  # expect: FA105


@router.post("/{order_id}/photos")
async def upload_photos(order_id: int, paths: list[str], tasks: BackgroundTasks) -> dict:
    tasks.add_task(rebuild_thumbnails, paths)  # expect: FA107
    tasks.add_task(send_welcome_email, "a@example.com")
    tasks.add_task(notify, order_id)
    return {"status": "accepted"}


@router.post("/{order_id}/pdf")
def export_pdf(order_id: int, background_tasks: BackgroundTasks) -> dict:
    background_tasks.add_task(convert_to_pdf, f"{order_id}.odt")  # expect: FA107
    background_tasks.add_task(archive, f"orders/{order_id}")  # expect: FA107
    return {"status": "accepted"}


@router.get("/{order_id}/invoice")
async def invoice(order_id: int) -> str:
    return read_template("invoice").format(order_id=order_id)  # expect: FA101


async def notify(order_id: int) -> None:
    print(order_id)
