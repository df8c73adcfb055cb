"""What the shop sells and on which terms: products, stock, coupons, shipping methods and tax rates."""
