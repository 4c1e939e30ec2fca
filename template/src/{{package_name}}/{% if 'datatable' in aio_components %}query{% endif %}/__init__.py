"""The columnar engine behind the table components: the DataTable's filter language,
sorting and paging on Arrow columns (see table_view.TableView)."""

from .filter_query import FilterQuery
from .table_view import TableView

__all__ = ["FilterQuery", "TableView"]
