#!/usr/bin/env python3
"""Writes examples/regional/declarations.jsonl: synthetic DUCA-D/DUCA-T
declarations for the regional example ruleset (regional.sem).

Python 3 standard library only, fixed seed: running it twice writes the same
file. Most declarations are clean (the lane distribution of a real office is
mostly green); a few per cent carry one deliberate risk indicator each, so
that every rule of regional.sem fires somewhere:

- under-valued footwear, textiles and electronics, and gross under-valuation
  (against tables/reference_price.csv);
- importers and declarants on the watch lists (lists/*.txt);
- high-risk origins, preferences claimed for non-party origins, Asian steel
  shipped through a third country;
- arms and ammunition, tobacco and spirits (imported and in transit), toys;
- used goods, possible counterfeits, descriptions too vague to classify;
- gross weight below net weight, missing or implausibly low freight,
  high-value consignments, widely dispersed unit values, stale declarations.

Usage: python3 examples/regional/gen_declarations.py [OUTPUT]
(default: declarations.jsonl next to this script).
"""

import json
import os
import random
import sys
from datetime import date, timedelta

SEED = 20261115
COUNT = 420
TODAY = date(2026, 11, 15)

# Customs offices of registration, with their country and exchange rate
# (national currency per USD; None where the currency is the US dollar).
OFFICES = [
    ("GT01", "GT", "7.70"),   # Guatemala, Central
    ("GT02", "GT", "7.70"),   # Puerto Quetzal
    ("GT05", "GT", "7.70"),   # Pedro de Alvarado (land border)
    ("SV01", "SV", None),     # San Salvador
    ("SV04", "SV", None),     # Acajutla
    ("HN01", "HN", "24.70"),  # Tegucigalpa
    ("HN03", "HN", "24.70"),  # Puerto Cortes
    ("NI01", "NI", "36.62"),  # Managua
    ("CR01", "CR", "505.30"), # Santamaria
    ("CR02", "CR", "505.30"), # Limon
    ("PA01", "PA", None),     # Colon
]

# Countries of origin, weighted roughly as Central American imports.
ORIGINS = [("US", 30), ("CN", 18), ("MX", 12), ("GT", 4), ("SV", 3), ("CR", 3),
           ("DE", 4), ("JP", 3), ("KR", 4), ("VN", 3), ("BR", 3), ("CO", 3),
           ("IN", 3), ("ES", 2), ("HK", 1), ("BD", 1), ("PK", 1)]
CAFTA_PARTIES = {"US", "DO", "GT", "SV", "HN", "NI", "CR"}
HIGH_RISK = {"CN", "HK", "VN", "BD", "PK"}

# Goods by sector: (SAC code, description, reference USD per kg,
# (min, max) net kg per line, kg per supplementary unit or None).
# A declaration takes its lines from one sector, as real consignments do.
SECTORS = {
    "apparel": [
        ("6403999000", "CALZADO CON SUELA DE CAUCHO Y PARTE SUPERIOR DE CUERO", "35", (50, 900), "0.9"),
        ("6402991000", "SANDALIAS DE PLASTICO PARA DAMA", "10", (80, 1500), "0.4"),
        ("6404110000", "ZAPATILLAS DEPORTIVAS DE MATERIA TEXTIL", "14", (60, 1200), "0.7"),
        ("6109100000", "CAMISETAS DE PUNTO DE ALGODON", "18", (100, 2500), "0.2"),
        ("6203420000", "PANTALONES DE ALGODON PARA HOMBRE", "20", (100, 2000), "0.5"),
        ("6302600000", "TOALLAS DE TOCADOR DE ALGODON", "5", (200, 3000), None),
    ],
    "electronics": [
        ("8471300000", "COMPUTADORAS PORTATILES", "180", (20, 600), "2.1"),
        ("8517130000", "TELEFONOS INTELIGENTES", "250", (10, 300), "0.2"),
        ("8528720000", "TELEVISORES LED DE 55 PULGADAS", "25", (200, 4000), "16"),
        ("8418102000", "REFRIGERADORAS DOMESTICAS", "4", (800, 9000), "60"),
        ("8516600000", "HORNOS DE MICROONDAS", "8", (300, 5000), "12"),
    ],
    "food": [
        ("0808100000", "MANZANAS FRESCAS", "1.10", (5000, 22000), None),
        ("1001990000", "TRIGO PARA MOLIENDA", "0.30", (20000, 150000), None),
    ],
    "health": [
        ("3004900000", "MEDICAMENTOS DOSIFICADOS PARA USO HUMANO", "60", (50, 3000), None),
        ("3304990000", "CREMAS COSMETICAS PARA EL CUIDADO DE LA PIEL", "12", (100, 2500), None),
    ],
    "industrial": [
        ("3923300000", "PREFORMAS DE PET PARA BOTELLAS", "2.50", (2000, 18000), None),
        ("4011100000", "LLANTAS NUEVAS PARA AUTOMOVIL", "3.50", (1000, 12000), "9"),
        ("8708299000", "PARTES DE CARROCERIA PARA AUTOMOVIL", "7", (200, 6000), None),
        ("4802560000", "PAPEL BOND EN RESMAS", "1.30", (2000, 20000), None),
    ],
    "vehicles": [
        ("8703231000", "AUTOMOVIL DE TURISMO 1500 CC", "8", (1100, 1500), "1300"),
    ],
    "steel": [
        ("7208390000", "LAMINAS DE ACERO LAMINADAS EN CALIENTE", "0.65", (20000, 120000), None),
        ("7210490000", "LAMINAS DE ACERO GALVANIZADAS", "0.90", (15000, 90000), None),
    ],
    "home": [
        ("9401710000", "SILLAS CON ARMAZON DE METAL", "5", (300, 5000), "6"),
        ("9503000000", "JUGUETES DE PLASTICO PARA NINOS", "9", (100, 3000), None),
    ],
    "beverages": [
        ("2201100000", "AGUA MINERAL EN BOTELLAS DE PLASTICO", "0.40", (8000, 22000), None),
        ("2009890000", "JUGOS DE FRUTAS CONCENTRADOS", "1.60", (5000, 20000), None),
    ],
}
SECTOR_WEIGHTS = [("apparel", 22), ("electronics", 18), ("food", 8), ("health", 10),
                  ("industrial", 16), ("vehicles", 6), ("steel", 4), ("home", 10),
                  ("beverages", 6)]

# Excise goods (tobacco, spirits, beer) appear only where an indicator puts them.
EXCISE = [
    ("2402200000", "CIGARRILLOS QUE CONTIENEN TABACO", "40", (2000, 9000), None),
    ("2208309000", "WHISKY EN BOTELLAS DE 750 ML", "6", (500, 8000), None),
    ("2203000000", "CERVEZA DE MALTA EN LATA", "1.20", (5000, 20000), None),
]
ARMS = [
    ("9303200000", "ESCOPETAS DE CAZA", "150", (20, 200), "3.2"),
    ("9306210000", "CARTUCHOS PARA ESCOPETA", "12", (200, 2000), None),
]
USED = [
    ("6309000000", "ROPA USADA EN FARDOS", "1.20", (2000, 20000), None),
    ("4012200000", "LLANTAS USADAS PARA AUTOMOVIL", "3.50", (2000, 10000), "9"),
    ("8703231000", "AUTOMOVIL DE TURISMO USADO 1500 CC", "8", (1100, 1500), "1300"),
]
COUNTERFEIT_DESCRIPTIONS = ["ZAPATILLAS DEPORTIVAS REPLICA MARCA FAMOSA",
                            "BOLSOS DE MANO IMITACION CUERO MARCA REGISTRADA",
                            "Relojes de pulsera réplica"]
VAGUE_DESCRIPTIONS = ["PARTS", "GOODS", "VARIO", "MERC."]

# Words whose presence in a clean description would make DESC-001/DESC-002
# fire by accident (`contains` matches inside words: "fused" contains "used").
TRIGGER_WORDS = ["used", "usado", "usada", "segunda mano", "reacondicionado",
                 "refurbished", "replica", "réplica", "imitation", "imitación", "imitacion", "aaa copy"]

# Deliberate risk indicators: (name, share of declarations). At most one per
# declaration; the rest are clean.
INDICATORS = [
    ("watched-importer", 0.015),
    ("watched-declarant", 0.015),
    ("cheap-footwear", 0.015),
    ("cheap-textiles", 0.01),
    ("cheap-electronics", 0.01),
    ("gross-undervaluation", 0.006),
    ("preference-non-party", 0.008),
    ("arms", 0.006),
    ("excise", 0.012),
    ("transit-excise", 0.01),
    ("used", 0.01),
    ("counterfeit", 0.008),
    ("vague", 0.008),
    ("gross-below-net", 0.008),
    ("freight-missing", 0.012),
    ("freight-low", 0.008),
    ("high-value", 0.012),
    ("dispersed-values", 0.006),
    ("stale", 0.01),
    ("steel-transshipment", 0.006),
]

WATCHED_IMPORTERS = {"GT": "GT-4821937-5", "SV": "SV-0614-250186-101-3",
                     "HN": "HN-08019003245187", "NI": "NI-J0310000012345",
                     "CR": "CR-3-101-123456", "PA": "PA-155612345-2-2015"}
WATCHED_DECLARANTS = ["GT-AGA-0142", "GT-AGA-0388", "SV-AGA-0057", "HN-AGA-0213", "CR-AGA-0091"]


def money(x):
    """A JSON number with at most two decimals."""
    return round(x, 2)


def weighted(rng, pairs):
    """One key of `pairs`, drawn by weight."""
    total = sum(w for _, w in pairs)
    pick = rng.uniform(0, total)
    for key, w in pairs:
        pick -= w
        if pick <= 0:
            return key
    return pairs[-1][0]


def indicator_plan(rng):
    """One indicator name (or "clean") per declaration, in random order.

    Every indicator gets at least one declaration, so every rule of the
    ruleset has data that exercises it."""
    plan = []
    for name, share in INDICATORS:
        plan.extend([name] * max(1, round(share * COUNT)))
    plan.extend(["clean"] * (COUNT - len(plan)))
    rng.shuffle(plan)
    return plan


def make_parties(rng):
    """Importers (tax id -> AEO status) and clean declarants per country."""
    importers = {}
    declarants = {}
    for _, cc, _ in OFFICES:
        if cc in importers:
            continue
        pool = []
        for _ in range(18):
            tax_id = f"{cc}-{rng.randrange(1000000, 9999999)}-{rng.randrange(10)}"
            pool.append((tax_id, rng.random() < 0.15))
        importers[cc] = pool
        declarants[cc] = [f"{cc}-AGA-{n:04d}" for n in rng.sample(range(400, 999), 6)]
    return importers, declarants


def line(rng, good, origin, factor=None):
    """One item: weights, value near the reference price and quantity."""
    hs, description, ref, (lo, hi), unit_kg = good
    if unit_kg is not None and float(unit_kg) >= 1000:
        units = rng.randint(1, 3)
        net = units * float(unit_kg) * rng.uniform(0.95, 1.05)
    else:
        net = rng.uniform(lo, hi)
    if factor is None:
        factor = rng.uniform(0.9, 2.4)
    value = net * float(ref) * factor
    item = {
        "hs": hs,
        "description": description,
        "origin": origin,
        "net_kg": money(net),
        "gross_kg": money(net * rng.uniform(1.02, 1.15)),
        "value": money(value),
    }
    if unit_kg is not None and rng.random() < 0.8:
        item["quantity"] = max(1, round(net / float(unit_kg)))
    if origin in CAFTA_PARTIES and origin != "US" or origin == "US" and rng.random() < 0.7:
        item["preference"] = "CAFTA-DR"
    return item


def declaration(rng, seq, parties, tag):
    """One declaration, clean or with one deliberate risk indicator."""
    importers, declarants = parties
    office, cc, rate = rng.choice(OFFICES)
    regime = weighted(rng, [("IM4", 82), ("IM7", 4), ("EX1", 4), ("T1", 10)])
    importer, aeo = rng.choice(importers[cc])
    declarant = rng.choice(declarants[cc])
    origin = weighted(rng, ORIGINS)
    provenance = origin if rng.random() < 0.9 else rng.choice(["US", "MX", "PA", "CO"])
    sector = weighted(rng, SECTOR_WEIGHTS)
    goods = SECTORS[sector]
    if sector in ("food", "steel", "vehicles"):
        n_lines = min(len(goods), rng.randint(1, 2))
    else:
        n_lines = min(len(goods), weighted(rng, [(1, 40), (2, 25), (3, 15), (4, 10), (5, 10)]))
    picked = rng.sample(goods, n_lines)
    items = [line(rng, g, origin) for g in picked]

    if office in ("GT05",) or cc in ("HN", "NI") and rng.random() < 0.5:
        transport_mode = 3
    else:
        transport_mode = weighted(rng, [(1, 55), (3, 30), (4, 15)])
    incoterm = weighted(rng, [("FOB", 40), ("CIF", 30), ("EXW", 8), ("FCA", 7), ("CFR", 8), ("DAP", 7)])
    declared_on = TODAY - timedelta(days=rng.randint(0, 25))

    # At most one deliberate indicator (see INDICATORS).
    if tag == "watched-importer":
        importer, aeo = WATCHED_IMPORTERS.get(cc, WATCHED_IMPORTERS["GT"]), False
    elif tag == "watched-declarant":
        declarant = rng.choice(WATCHED_DECLARANTS)
    elif tag == "cheap-footwear":
        origin = rng.choice(["CN", "VN", "BD"])
        items = [line(rng, rng.choice(SECTORS["apparel"][:3]), origin, rng.uniform(0.15, 0.45))]
    elif tag == "cheap-textiles":
        items = [line(rng, rng.choice(SECTORS["apparel"][3:]), origin, rng.uniform(0.15, 0.35))]
    elif tag == "cheap-electronics":
        items = [line(rng, rng.choice(SECTORS["electronics"][:3]), origin, rng.uniform(0.12, 0.28))]
    elif tag == "gross-undervaluation":
        items = [line(rng, rng.choice(SECTORS["industrial"]), origin, rng.uniform(0.03, 0.08))]
    elif tag == "preference-non-party":
        origin = rng.choice(["CN", "KR", "IN"])
        items = [line(rng, g, origin) for g in picked]
        items[0]["preference"] = "CAFTA-DR"
    elif tag == "arms":
        regime = "IM4"
        items = [line(rng, g, origin) for g in ARMS[: rng.randint(1, 2)]]
    elif tag == "excise":
        regime = "IM4"
        items = [line(rng, rng.choice(EXCISE), origin)]
    elif tag == "transit-excise":
        regime = rng.choice(["T1", "T2"])
        transport_mode = 3
        items = [line(rng, rng.choice(EXCISE[:2]), origin)]
    elif tag == "used":
        items = [line(rng, rng.choice(USED), origin)]
    elif tag == "counterfeit":
        items[0]["description"] = rng.choice(COUNTERFEIT_DESCRIPTIONS)
    elif tag == "vague":
        items[0]["description"] = rng.choice(VAGUE_DESCRIPTIONS)
    elif tag == "gross-below-net":
        it = rng.choice(items)
        it["gross_kg"] = money(it["net_kg"] * rng.uniform(0.80, 0.97))
    elif tag == "freight-missing":
        incoterm = rng.choice(["EXW", "FCA", "FOB"])
    elif tag == "freight-low":
        transport_mode = 1
        incoterm = "FOB"
    elif tag == "high-value":
        regime = "IM4"
        aeo = False
        origin = rng.choice(["US", "MX", "DE", "JP"])
        items = [line(rng, g, origin, rng.uniform(1.0, 1.5)) for g in SECTORS["steel"]]
        for it in items:
            it["net_kg"] = money(it["net_kg"] * 3)
            it["gross_kg"] = money(it["net_kg"] * 1.03)
            it["value"] = money(max(it["value"] * 3, 140000))
    elif tag == "dispersed-values":
        # A low-priced line beside expensive ones: part of the value moved.
        items = [line(rng, SECTORS["electronics"][1], origin),
                 line(rng, SECTORS["electronics"][3], origin, rng.uniform(0.2, 0.3))]
        items[0]["net_kg"] = money(items[0]["net_kg"] * 4)
        items[0]["gross_kg"] = money(items[0]["net_kg"] * 1.05)
        items[0]["value"] = money(items[0]["net_kg"] * 250 * 1.5)
    elif tag == "stale":
        declared_on = TODAY - timedelta(days=rng.randint(35, 70))
    elif tag == "steel-transshipment":
        origin = rng.choice(["CN", "VN"])
        provenance = "PA"
        items = [line(rng, rng.choice(SECTORS["steel"]), origin, rng.uniform(0.9, 1.1))]

    total = sum(it["value"] for it in items)
    if tag != "high-value" and total > 200000:
        # Keep other consignments below the high-value audit threshold.
        scale = 200000 / total
        for it in items:
            for field in ("net_kg", "gross_kg", "value"):
                it[field] = money(it[field] * scale)
            if "quantity" in it:
                it["quantity"] = max(1, round(it["quantity"] * scale))

    total = sum(it["value"] for it in items)
    decl = {
        "id": f"{office}-2026-{seq:06d}",
        "regime": regime,
        "office": office,
        "declared_on": declared_on.isoformat(),
        "importer": importer,
        "declarant": declarant,
        "aeo": aeo,
        "origin": origin,
        "provenance": provenance,
        "transport_mode": transport_mode,
        "incoterm": incoterm,
    }
    freight_share = rng.uniform(0.02, 0.09) if transport_mode == 1 else rng.uniform(0.015, 0.06)
    if tag == "freight-low":
        freight_share = rng.uniform(0.0005, 0.004)
    freight_given = tag != "freight-missing" and (incoterm != "CIF" or rng.random() < 0.7)
    if freight_given:
        decl["freight"] = money(total * freight_share)
    if rng.random() < 0.85:
        decl["insurance"] = money(total * rng.uniform(0.003, 0.012))
    if rate is not None and rng.random() < 0.9:
        decl["exchange_rate"] = float(rate)
    decl["items"] = items
    # Clean descriptions must not trip the description rules by accident.
    if tag not in ("used", "counterfeit"):
        for it in items:
            low = it["description"].lower()
            if any(word in low for word in TRIGGER_WORDS):
                raise SystemExit(f"description {it['description']!r} contains a trigger word")
    return decl, tag


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "declarations.jsonl")
    rng = random.Random(SEED)
    parties = make_parties(rng)
    plan = indicator_plan(rng)
    tags = {}
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for seq in range(1, COUNT + 1):
            decl, tag = declaration(rng, seq, parties, plan[seq - 1])
            tags[tag] = tags.get(tag, 0) + 1
            f.write(json.dumps(decl, ensure_ascii=False, separators=(", ", ": ")))
            f.write("\n")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(tags.items()))
    sys.stderr.write(f"wrote {COUNT} declarations to {out} ({summary})\n")


if __name__ == "__main__":
    main()
