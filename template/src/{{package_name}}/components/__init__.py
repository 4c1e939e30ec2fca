"""Your All-in-One components (scripts/new_aio.py starts one here).

Yours: `copier update` never touches this package. tests/app/test_aio_convention.py
checks every `*AIO` class in it, as it checks the template's in `aio/`.
"""
