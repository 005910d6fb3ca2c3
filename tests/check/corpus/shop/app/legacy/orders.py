from django.db import models


class Order(models.Model):
    total = models.IntegerField()


async def order_total(order_id: int) -> int:
    order = Order.objects.get(id=order_id)  # expect: FA103
    return order.total


async def order_total_async(order_id: int) -> int:
    order = await Order.objects.aget(id=order_id)
    return order.total


async def recent_orders() -> list[Order]:
    # Builds a lazy queryset only (iterating it is not followed).
    return Order.objects.filter(total__gt=0).order_by("-id")


async def close_order(order: Order) -> None:
    order.save()  # expect: FA103
