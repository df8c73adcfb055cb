"""Fulfilment, only from a durable paid state: entitlements for digital goods, shipment requests for physical ones."""
