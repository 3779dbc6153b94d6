"""The KCS CSV as an Arrow table of declarations (one item each), read
the way `examples/kcs/kcs.map` maps it for the command line."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

HEADER = {
    "Declaration ID": "id",
    "Date": "declared_on",
    "Office ID": "office",
    "Process Type": "process_type",
    "Import Type": "import_type",
    "Import Use": "import_use",
    "Payment Type": "payment_type",
    "Mode of Transport": "transport_mode",
    "Declarant ID": "declarant",
    "Importer ID": "importer",
    "Seller ID": "seller",
    "Courier ID": "courier",
    "Country of Departure": "departure",
    "Country of Origin": "origin",
    "Tax Rate": "tax_rate",
    "Tax Type": "tax_type",
    "Country of Origin Indicator": "origin_indicator",
}
ITEM = {"HS6 Code": "hs6", "Net Mass": "net_kg", "Item Price": "price"}
# float64: the engine reads a float through its shortest text, which for
# these cells is the CSV text itself (`86125.20000000001` included; the
# engine then rounds it to six decimals, as it does the CSV cell).
NUMBER = pa.float64()


def read(path: Path) -> pa.Table:
    """Every cell as text (codes stay codes), empty cells null, numbers
    as float64, one-element `items` lists."""
    with open(path, encoding="utf-8") as f:
        names = f.readline().rstrip("\n").split(",")
    raw = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True
        ),
    )
    cols = {field: raw.column(col) for col, field in HEADER.items()}
    cols["tax_rate"] = pc.cast(cols["tax_rate"], NUMBER)
    item = {field: raw.column(col).combine_chunks() for col, field in ITEM.items()}
    item["net_kg"] = pc.cast(item["net_kg"], NUMBER)
    item["price"] = pc.cast(item["price"], NUMBER)
    structs = pa.StructArray.from_arrays(list(item.values()), names=list(item))
    n = raw.num_rows
    cols["items"] = pa.ListArray.from_arrays(pa.array(range(n + 1), type=pa.int32()), structs)
    cols["Fraud"] = pc.cast(raw.column("Fraud"), pa.int64())
    return pa.table(cols)
