from celery import Celery, shared_task

celery_app = Celery("shop", broker="redis://localhost")


@celery_app.task
def send_receipt(order_id: int) -> None:
    print(order_id)


@shared_task(bind=True)
def rebuild_index(self) -> None:
    print("rebuilt")
