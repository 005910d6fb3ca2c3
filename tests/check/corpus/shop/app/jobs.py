from celery.result import AsyncResult

from app.worker import celery_app, send_receipt


def queue_receipt(order_id: int) -> str:
    return send_receipt.delay(order_id).id


def receipt_status(task_id: str) -> str:
    return AsyncResult(task_id, app=celery_app).get(timeout=1)


def queue_by_name(name: str) -> None:
    celery_app.send_task(name)
