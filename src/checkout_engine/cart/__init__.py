"""The customer's intended purchase: lines, address, shipping method and coupon."""
