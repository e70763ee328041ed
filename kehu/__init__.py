"""Kehu (客户): customer development and management for B2B field-sales teams."""
