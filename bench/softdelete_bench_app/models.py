"""A two-level cascade: Customer -> Order -> OrderLine, all BaseModels."""

from django.db import models

from shared_core.models import BaseModel


class Customer(BaseModel):
    name = models.CharField(max_length=50)


class Order(BaseModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    number = models.IntegerField()


class OrderLine(BaseModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=20)
