"""The demo company's master data as plain tables: suppliers, items, chart of accounts, taxes, tracking.

Kowhai Outdoor Supplies Ltd is a small Auckland retailer of outdoor gear that buys from about thirty suppliers
in New Zealand, Australia and the United States. :mod:`recon.sandbox.demo` renders these tables into both
systems and plants the differences; this module only holds the agreed ("last sync") values.
"""

from __future__ import annotations

from decimal import Decimal as D

from recon.sandbox.seed_shapes import Account, Item, Supplier, TaxRate, Tracking

# key: (name, email, phone, GST/tax number, company number, currency, street, city, region, postcode, country)
_SUPPLIERS: dict[str, tuple[str, ...]] = {
    "alpine": ("Alpine Fasteners Ltd", "accounts@alpinefasteners.example", "+64 9 555 0101", "112-233-441",
               "9429041000011", "NZD", "14 Kahu Rd", "Auckland", "Auckland", "1061", "NZ"),
    "southern": ("Southern Alps Timber Ltd", "ap@southernalpstimber.example", "+64 3 555 0142", "112-233-442",
                 "9429041000028", "NZD", "220 Blenheim Rd", "Christchurch", "Canterbury", "8041", "NZ"),
    "coastal": ("Coastal Packaging Ltd", "accounts@coastalpack.example", "+64 7 555 0177", "112-233-443",
                "9429041000035", "NZD", "5 Hewletts Rd", "Tauranga", "Bay of Plenty", "3116", "NZ"),
    "kauri": ("Kauri Print & Signs", "hello@kauriprint.example", "+64 9 555 0123", "112-233-444",
              "9429041000042", "NZD", "12 Ponsonby Rd", "Auckland", "Auckland", "1011", "NZ"),
    "pacific": ("Pacific Freight Forwarders", "billing@pacfreight.example", "+64 9 555 0188", "112-233-445",
                "9429041000059", "NZD", "3 Ascot Rd", "Auckland", "Auckland", "2022", "NZ"),
    "tasman": ("Tasman Tents Pty Ltd", "ar@tasmantents.example", "+61 3 5550 1122", "51 824 753 556",
               "124 753 556", "AUD", "88 Smith St", "Melbourne", "VIC", "3065", "AU"),
    "bluegum": ("Bluegum Outdoor Co Pty Ltd", "accounts@bluegum.example", "+61 2 5550 3344", "63 111 222 333",
                "111 222 333", "AUD", "17 Parramatta Rd", "Sydney", "NSW", "2050", "AU"),
    "summit": ("Summit Gear Inc", "ar@summitgear.example", "+1 303 555 0144", "84-1234567", "C1234567",
               "USD", "1200 Pearl St", "Boulder", "CO", "80302", "US"),
    "cascade": ("Cascade Textiles LLC", "billing@cascadetex.example", "+1 503 555 0199", "93-7654321",
                "LLC-555-019", "USD", "45 NW Flanders St", "Portland", "OR", "97209", "US"),
    "ruapehu": ("Ruapehu Down Ltd", "accounts@ruapehudown.example", "+64 7 555 0133", "112-233-446",
                "9429041000066", "NZD", "9 Carroll St", "Ohakune", "Manawatu-Whanganui", "4625", "NZ"),
    "kiwiwater": ("Kiwi Water Bottles Ltd", "ap@kiwiwater.example", "+64 6 555 0112", "112-233-447",
                  "9429041000073", "NZD", "31 Rangitikei St", "Palmerston North", "Manawatu-Whanganui", "4410", "NZ"),
    "officemax": ("Central Office Supplies Ltd", "orders@centraloffice.example", "+64 4 555 0166", "112-233-448",
                  "9429041000080", "NZD", "101 Cuba St", "Wellington", "Wellington", "6011", "NZ"),
    "techhub": ("TechHub Computers Ltd", "accounts@techhub.example", "+64 9 555 0155", "112-233-449",
                "9429041000097", "NZD", "60 Khyber Pass Rd", "Auckland", "Auckland", "1023", "NZ"),
    "sparkline": ("Sparkline Telecom Ltd", "billing@sparkline.example", "+64 800 555 010", "112-233-450",
                  "9429041000103", "NZD", "167 Victoria St", "Wellington", "Wellington", "6011", "NZ"),
    "metro": ("Metro Power Ltd", "accounts@metropower.example", "+64 800 555 020", "112-233-451",
              "9429041000110", "NZD", "2 Broadway", "Auckland", "Auckland", "1023", "NZ"),
    "fernhill": ("Fernhill Property Management", "rent@fernhill.example", "+64 9 555 0177", "112-233-452",
                 "9429041000127", "NZD", "44 Great South Rd", "Auckland", "Auckland", "1051", "NZ"),
    "beancounter": ("Beancounter Accounting", "office@beancounter.example", "+64 9 555 0191", "112-233-453",
                    "9429041000134", "NZD", "7 Shortland St", "Auckland", "Auckland", "1010", "NZ"),
    "lawson": ("Lawson & Reid Lawyers", "accounts@lawsonreid.example", "+64 4 555 0181", "112-233-454",
               "9429041000141", "NZD", "15 Lambton Quay", "Wellington", "Wellington", "6011", "NZ"),
    "safeguard": ("Safeguard Insurance Brokers", "premiums@safeguard.example", "+64 9 555 0102", "112-233-455",
                  "9429041000158", "NZD", "21 Queen St", "Auckland", "Auckland", "1010", "NZ"),
    "brightclean": ("Bright Clean Commercial", "accounts@brightclean.example", "+64 9 555 0122", "112-233-456",
                    "9429041000165", "NZD", "3 Morningside Dr", "Auckland", "Auckland", "1025", "NZ"),
    "harbourcafe": ("Harbour Coffee Roasters", "orders@harbourcoffee.example", "+64 9 555 0168", "112-233-457",
                    "9429041000172", "NZD", "8 Jellicoe St", "Auckland", "Auckland", "1010", "NZ"),
    "mainfreight": ("Northern Courier Services", "accounts@northerncourier.example", "+64 9 555 0134",
                    "112-233-458", "9429041000189", "NZD", "120 Favona Rd", "Auckland", "Auckland", "2024", "NZ"),
    "glovebox": ("Glovebox Safety Supplies", "sales@glovebox.example", "+64 3 555 0145", "112-233-459",
                 "9429041000196", "NZD", "56 Hazeldean Rd", "Christchurch", "Canterbury", "8024", "NZ"),
    "waka": ("Waka Kayaks Ltd", "accounts@wakakayaks.example", "+64 7 555 0156", "112-233-460",
             "9429041000202", "NZD", "12 Lake Rd", "Rotorua", "Bay of Plenty", "3010", "NZ"),
    "trailfuel": ("Trail Fuel Foods Ltd", "ap@trailfuel.example", "+64 3 555 0178", "112-233-461",
                  "9429041000219", "NZD", "90 Anzac Ave", "Dunedin", "Otago", "9016", "NZ"),
    "ironsand": ("Ironsand Steelworks Ltd", "accounts@ironsand.example", "+64 6 555 0189", "112-233-462",
                 "9429041000226", "NZD", "4 Breakwater Rd", "New Plymouth", "Taranaki", "4310", "NZ"),
    "signal": ("Signal Marketing Studio", "studio@signalmarketing.example", "+64 9 555 0147", "112-233-463",
               "9429041000233", "NZD", "33 Karangahape Rd", "Auckland", "Auckland", "1010", "NZ"),
    "oldmill": ("Old Mill Joinery", "office@oldmilljoinery.example", "+64 7 555 0111", "112-233-464",
                "9429041000240", "NZD", "2 Mill Rd", "Hamilton", "Waikato", "3204", "NZ"),
    "greenleaf": ("Greenleaf Cleaning Services", "accounts@greenleafclean.example", "+64 9 555 0193",
                  "112-233-465", "9429041000257", "NZD", "71 Apirana Ave", "Auckland", "Auckland", "1072", "NZ"),
    "tui": ("Tui Electrical Contractors", "jobs@tuielectrical.example", "+64 9 555 0174", "112-233-466",
            "9429041000264", "NZD", "19 Lunn Ave", "Auckland", "Auckland", "1072", "NZ"),
    "manuka": ("Manuka Workwear Ltd", "accounts@manukawear.example", "+64 6 555 0162", "112-233-467",
               "9429041000271", "NZD", "140 Heretaunga St", "Hastings", "Hawke's Bay", "4122", "NZ"),
}

#: Xero contacts that are customers, not suppliers (IsSupplier false): recon leaves them alone.
_CUSTOMERS: dict[str, tuple[str, ...]] = {
    "ridgeline": ("Ridgeline Adventures Ltd", "accounts@ridgeline.example", "+64 3 555 0200", "", "", "NZD",
                  "5 Beach St", "Queenstown", "Otago", "9300", "NZ"),
    "bayretail": ("Bay Outdoor Retail", "buyers@bayoutdoor.example", "+64 6 555 0210", "", "", "NZD",
                  "22 Emerson St", "Napier", "Hawke's Bay", "4110", "NZ"),
}

SUPPLIERS: dict[str, Supplier] = {k: Supplier(*v) for k, v in _SUPPLIERS.items()}
CUSTOMERS: dict[str, Supplier] = {k: Supplier(*v) for k, v in _CUSTOMERS.items()}

ACCOUNTS: tuple[Account, ...] = (
    Account("090", "Business Bank Account", "BANK", "NONE", cls="ASSET"),
    Account("091", "Business Savings Account", "BANK", "NONE", cls="ASSET"),
    Account("200", "Sales", "REVENUE", "OUTPUT2", cls="REVENUE"),
    Account("260", "Other Revenue", "REVENUE", "OUTPUT2", cls="REVENUE"),
    Account("300", "Purchases", "DIRECTCOSTS"),
    Account("310", "Cost of Goods Sold", "DIRECTCOSTS"),
    Account("400", "Advertising", "OVERHEADS"),
    Account("404", "Bank Fees", "OVERHEADS", "NONE"),
    Account("408", "Cleaning", "OVERHEADS"),
    Account("412", "Consulting & Accounting", "OVERHEADS"),
    Account("420", "Entertainment", "OVERHEADS"),
    Account("425", "Freight & Courier", "OVERHEADS"),
    Account("429", "General Expenses", "OVERHEADS"),
    Account("433", "Insurance", "OVERHEADS"),
    Account("441", "Legal expenses", "OVERHEADS"),
    Account("445", "Light, Power, Heating", "OVERHEADS"),
    Account("449", "Motor Vehicle Expenses", "OVERHEADS"),
    Account("453", "Office Expenses", "OVERHEADS"),
    Account("461", "Printing & Stationery", "OVERHEADS"),
    Account("469", "Rent", "OVERHEADS"),
    Account("473", "Repairs and Maintenance", "OVERHEADS"),
    Account("485", "Subscriptions", "OVERHEADS"),
    Account("489", "Telephone & Internet", "OVERHEADS"),
    Account("493", "Travel - National", "OVERHEADS"),
    Account("610", "Accounts Receivable", "CURRENT", "NONE", "DEBTORS", cls="ASSET"),
    Account("630", "Inventory", "INVENTORY", "NONE", cls="ASSET"),
    Account("710", "Office Equipment", "FIXED", cls="ASSET"),
    Account("720", "Computer Equipment", "FIXED", cls="ASSET"),
    Account("800", "Accounts Payable", "CURRLIAB", "NONE", "CREDITORS", cls="LIABILITY"),
    Account("820", "GST", "CURRLIAB", "NONE", "GST", cls="LIABILITY"),
    Account("860", "Rounding", "CURRLIAB", "NONE", "ROUNDING", cls="LIABILITY"),
    Account("960", "Retained Earnings", "EQUITY", "NONE", "RETAINEDEARNINGS", cls="EQUITY"),
)

TAX_RATES: tuple[TaxRate, ...] = (
    TaxRate("INPUT2", "15% GST on Expenses", D("15"), "INPUT"),
    TaxRate("OUTPUT2", "15% GST on Income", D("15"), "OUTPUT"),
    TaxRate("NONE", "No GST", D("0"), "NONE"),
    TaxRate("ZERORATED", "Zero Rated", D("0"), "NONE"),
    TaxRate("GSTONIMPORTS", "GST on Imports", D("0"), "GSTONIMPORTS"),
    TaxRate("TAX001", "9% Reduced Rate", D("9"), "INPUT"),
)

TRACKING = Tracking((
    ("Region", ("Auckland", "Wellington", "Christchurch")),
    ("Department", ("Retail", "Online", "Warehouse", "Admin")),
))

# code, name, purchase description, purchase price, account
_ITEMS = (
    ("TENT-2P", "Trailhead 2P Tent", "Two-person three-season tent, 1.9 kg", "189.50", "300"),
    ("TENT-4P", "Trailhead 4P Tent", "Four-person family tent with vestibule", "329.00", "300"),
    ("PACK-45", "Ridge 45L Pack", "45 litre tramping pack, adjustable harness", "142.75", "300"),
    ("PACK-65", "Ridge 65L Pack", "65 litre expedition pack", "176.40", "300"),
    ("BAG-DN", "Down Sleeping Bag -5C", "650 loft down bag rated to -5 C", "214.00", "300"),
    ("MAT-SI", "Self-inflating Mat", "Self-inflating sleeping mat, 5 cm", "58.90", "300"),
    ("STOVE-G", "Gas Canister Stove", "Compact screw-on canister stove", "39.95", "300"),
    ("GAS-230", "Gas Canister 230g", "Butane/propane canister 230 g", "6.85", "300"),
    ("JKT-RAIN", "Storm Rain Jacket", "Three-layer waterproof jacket", "118.00", "300"),
    ("BOTTLE-1L", "Insulated Bottle 1L", "Vacuum insulated steel bottle", "21.60", "300"),
    ("KAYAK-SOT", "Sit-on-top Kayak", "Recreational sit-on-top kayak, 3 m", "545.00", "300"),
    ("HV-VEST", "Hi-vis Safety Vest", "Class D/N hi-vis vest for warehouse staff", "12.50", "429"),
    ("GLOVE-W", "Work Gloves", "Warehouse work gloves, pair", "8.40", "429"),
    ("BOX-L", "Shipping Carton Large", "Double-wall carton 600x400x400", "2.35", "310"),
    ("TAPE-48", "Packing Tape 48mm", "Clear packing tape 48 mm x 100 m", "3.20", "310"),
    ("PAPER-A4", "Copy Paper A4", "80 gsm copy paper, box of 5 reams", "32.50", "461"),
    ("TONER-58A", "Toner Cartridge 58A", "Black toner cartridge, 3000 pages", "129.00", "453"),
    ("COFFEE-1K", "Coffee Beans 1kg", "Medium roast beans for the office", "38.00", "453"),
    ("LAPTOP-14", "Laptop 14in", "14 inch staff laptop, 16 GB", "1649.00", "720"),
    ("MONITOR-27", "Monitor 27in", "27 inch QHD monitor", "429.00", "720"),
    ("CHAIR-ERG", "Ergonomic Chair", "Adjustable ergonomic office chair", "389.00", "710"),
)
ITEMS: tuple[Item, ...] = tuple(Item(c, n, d, D(p), a) for c, n, d, p, a in _ITEMS)
