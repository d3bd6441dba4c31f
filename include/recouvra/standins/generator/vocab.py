"""Reference vocabularies of the synthetic fund database: cities, courts, names, streets, sectors.

Plain tuples, no randomness: the generator draws from them with numpy. Cities carry a population
weight (2024 census order of magnitude, thousands) so that Casablanca dominates, their spelling
variants as clerks type them, the fixed-line prefix and the CIN letters issued there.
"""

from __future__ import annotations

from typing import NamedTuple


class City(NamedTuple):
    name: str
    weight: int  # population, thousands
    variants: tuple[str, ...]  # spellings seen in the fund's records (the name itself excluded)
    fixed_prefix: str  # three digits after the leading 0 of a fixed line
    cin_prefixes: tuple[str, ...]
    court: str  # commercial court (tribunal de commerce) of the city


CITIES: tuple[City, ...] = (
    City("Casablanca", 3360, ("Casa", "CASABLANCA", "Dar El Beida", "Casablanca ", "casablanca", "CASA"),
         "522", ("B", "BE", "BH", "BJ", "BK", "BL", "BB"), "Casablanca"),
    City("Fès", 1256, ("Fes", "Fez", "FES", "Fès ", "fes"), "535", ("C", "CD"), "Fès"),
    City("Tanger", 1275, ("Tangier", "Tangér", "TANGER", "Tanja"), "539", ("K", "KB"), "Tanger"),
    City("Marrakech", 1070, ("Marrakesh", "MARRAKECH", "Marrakch"), "524", ("E", "EE"), "Marrakech"),
    City("Salé", 1000, ("Sale", "SALE", "Salé Médina"), "537", ("AB", "AE"), "Rabat"),
    City("Meknès", 842, ("Meknes", "MEKNES", "Mekness"), "535", ("D", "DA"), "Meknès"),
    City("Rabat", 515, ("RABAT", "Rabat ", "rabat"), "537", ("A", "AD"), "Rabat"),
    City("Oujda", 558, ("Oujda ", "OUJDA", "Oujda-Angad"), "536", ("F", "FA"), "Oujda"),
    City("Kénitra", 570, ("Kenitra", "KENITRA", "Knitra"), "537", ("G", "GA"), "Rabat"),
    City("Agadir", 480, ("AGADIR", "Agadir "), "528", ("J", "JA"), "Agadir"),
    City("Tétouan", 423, ("Tetouan", "TETOUAN", "Tetuan"), "539", ("L", "LA"), "Tanger"),
    City("Témara", 314, ("Temara", "TEMARA"), "537", ("AE", "A"), "Rabat"),
    City("Safi", 311, ("SAFI", "Asfi"), "524", ("H",), "Marrakech"),
    City("Mohammedia", 268, ("Mohamedia", "MOHAMMEDIA", "Fedala"), "523", ("T",), "Casablanca"),
    City("Khouribga", 196, ("KHOURIBGA", "Khouribgua"), "523", ("Q",), "Casablanca"),
    City("El Jadida", 194, ("Eljadida", "EL JADIDA", "Al Jadida"), "523", ("M",), "Casablanca"),
    City("Béni Mellal", 192, ("Beni Mellal", "BENI MELLAL", "Beni-Mellal"), "523", ("I",), "Casablanca"),
    City("Nador", 161, ("NADOR", "Nador "), "536", ("S",), "Oujda"),
    City("Taza", 148, ("TAZA",), "535", ("Z",), "Fès"),
    City("Settat", 142, ("SETTAT", "Setat"), "523", ("W",), "Casablanca"),
    City("Laâyoune", 217, ("Laayoune", "LAAYOUNE", "El Aaiun"), "528", ("SH",), "Agadir"),
    City("Ouarzazate", 71, ("OUARZAZATE", "Warzazat"), "524", ("JK",), "Marrakech"),
    City("Errachidia", 92, ("Er-Rachidia", "ERRACHIDIA"), "535", ("UA",), "Meknès"),
    City("Dakhla", 106, ("DAKHLA", "Ad Dakhla"), "528", ("VA",), "Agadir"),
    City("Guelmim", 118, ("GUELMIM", "Goulimine"), "528", ("JY",), "Agadir"),
    City("Al Hoceïma", 56, ("Al Hoceima", "Alhoceima", "El Hoceima"), "539", ("R",), "Tanger"),
)

LEGAL_FORMS: tuple[tuple[str, int], ...] = (  # (form, weight) for legal entities
    ("SARL", 46), ("SARL AU", 28), ("SA", 6), ("SNC", 2), ("SCS", 1), ("SCA", 1), ("GIE", 1),
    ("cooperative", 5), ("association", 6),
)

# How a clerk may type each legal form in a name or in the legal_form column.
LEGAL_FORM_VARIANTS: dict[str, tuple[str, ...]] = {
    "SARL": ("SARL", "S.A.R.L.", "S.A.R.L", "sarl", "Sarl"),
    "SARL AU": ("SARL AU", "SARLAU", "S.A.R.L. A.U.", "SARL A.U", "sarl au"),
    "SA": ("SA", "S.A.", "S.A"),
    "SNC": ("SNC", "S.N.C."),
    "SCS": ("SCS", "S.C.S."),
    "SCA": ("SCA", "S.C.A."),
    "GIE": ("GIE", "G.I.E."),
    "EI": ("EI", "E.I.", "Personne physique"),
    "cooperative": ("cooperative", "Coopérative", "COOPERATIVE", "Coop."),
    "association": ("association", "Association", "ASSOCIATION", "Assoc."),
}

COMPANY_PREFIXES: tuple[str, ...] = ("Société", "Sté", "Ste", "STE", "Ets", "Etablissements", "")
COOP_PREFIXES: tuple[str, ...] = ("Coopérative", "Cooperative", "Coop")
ASSOC_PREFIXES: tuple[str, ...] = ("Association", "Assoc.", "Association des amis de")

NAME_STEMS: tuple[str, ...] = (
    "Atlas", "Al Amal", "Nour", "Sahara", "Maghreb", "Anfa", "Zitoune", "Al Baraka", "Assafa",
    "Oasis", "Tafilalet", "Souss", "Rif", "Al Fath", "Chifa", "Al Wafa", "Ennakhil", "Al Firdaous",
    "Argane", "Yasmine", "Majorelle", "Bouregreg", "Saiss", "Draa", "Andalous", "Al Massira",
    "Al Inbiat", "Tiznit", "Toubkal", "Ifrane", "Al Karam", "Ibn Batouta", "Zagora", "Al Andalous",
    "Marjane", "Nejma", "Al Hoda", "Sidi Maarouf", "Ain Sebaa", "Bab Lamrissa", "Ouled Ziane",
    "Ait Melloul", "Oum Rabia", "Moulouya", "Sebou", "Al Jazira", "Al Houda", "Dar Essalam",
    "Rahma", "Tanmia", "Al Ikhlass", "Al Moustakbal", "Al Mostakbal", "Badr", "Hilal", "Kawtar",
    "Iberia", "Medina", "Kasbah", "Palmeraie", "Agdal", "Hay Hassani", "Maarif", "Gauthier",
    "Bourgogne", "Derb Omar", "Ouled Saleh", "Ait Baha", "Ouarzazate", "Tadla", "Doukkala",
)

ACTIVITY_WORDS: tuple[str, ...] = (
    "Transport", "Travaux", "Distribution", "Services", "Négoce", "Construction", "Import Export",
    "Textile", "Confection", "Agro", "Immobilier", "Nettoyage", "Gardiennage", "Logistique",
    "Informatique", "Conseil", "Restauration", "Hôtellerie", "Pêche", "Bâtiment", "Electricité",
    "Plomberie", "Menuiserie", "Télécom", "Pharma", "Matériaux", "Froid", "Carrosserie", "Voyages",
    "Boulangerie", "Imprimerie", "Sécurité", "Ingénierie", "Trading", "Equipements", "Industrie",
)

# A small pool of very common trade names: unrelated entities share them (hard negatives).
COMMON_NAMES: tuple[str, ...] = (
    "Atlas Transport", "Al Amal Services", "Nour Distribution", "Sahara Travaux", "Maghreb Négoce",
    "Al Baraka Construction", "Assafa Nettoyage", "Atlas Gardiennage", "Al Wafa Transport",
    "Anfa Services", "Oasis Voyages", "Al Fath Travaux", "Chifa Pharma", "Ennakhil Distribution",
    "Yasmine Confection", "Argane Agro", "Toubkal Logistique", "Al Karam Bâtiment",
    "Atlas Travaux", "Nour Services", "Al Amal Transport", "Souss Agro",
)

SECTORS: tuple[tuple[str, int], ...] = (
    ("Commerce", 24), ("Construction", 14), ("Industrie manufacturière", 10),
    ("Transport et logistique", 8), ("Hébergement et restauration", 7), ("Services aux entreprises", 9),
    ("Agriculture et pêche", 6), ("Textile et habillement", 5), ("Santé et action sociale", 3),
    ("Enseignement", 3), ("Information et communication", 3), ("Activités financières", 1),
    ("Sécurité et nettoyage", 5), ("Autres services", 2),
)

FIRST_NAMES: tuple[str, ...] = (
    "Mohammed", "Ahmed", "Youssef", "Abdellah", "Hassan", "Rachid", "Said", "Mustapha", "Omar",
    "Karim", "Khalid", "Hamid", "Abdelaziz", "Driss", "Brahim", "Aziz", "Jamal", "Nabil", "Hicham",
    "Mehdi", "Fatima", "Khadija", "Aicha", "Naima", "Latifa", "Meryem", "Zineb", "Samira", "Hanane",
    "Nadia", "Salma", "Houda", "Imane", "Soukaina", "Abderrahim", "Abdelkader", "Lahcen", "Mbarek",
    "Redouane", "Anas", "Othmane", "Ilyas", "Hamza", "Amine", "Badr", "Tarik", "Noureddine",
)

LAST_NAMES: tuple[str, ...] = (
    "Alaoui", "El Idrissi", "Bennani", "Tazi", "Fassi Fihri", "Benjelloun", "El Amrani", "Berrada",
    "Chraibi", "Lahlou", "Benkirane", "El Ouafi", "Ait Taleb", "Ait Ouaziz", "Ouled Cherif",
    "El Mansouri", "Bouzidi", "Zerouali", "Skalli", "Sqalli", "Kettani", "El Fassi", "Naciri",
    "Rami", "Boukhari", "El Hachimi", "Ouazzani", "Sebti", "Guessous", "Lamrani", "Ziani",
    "El Khatib", "Belhaj", "Hajji", "Ait Benhaddou", "Ou Ali", "El Moutawakil", "Saidi", "Mernissi",
    "Filali", "Jabri", "Cherkaoui", "Kabbaj", "Sefrioui", "Mouline", "Tahiri", "Benslimane",
)

ARABIC_COMPANY_NAMES: tuple[str, ...] = (
    "شركة الأطلس للنقل", "شركة النور للتوزيع", "مقاولة الأمل للأشغال", "شركة المغرب للتجارة",
    "تعاونية أرگان", "جمعية الخير", "شركة البركة للبناء", "مؤسسة الفتح", "شركة الوفاء للخدمات",
    "شركة الصفاء للتنظيف", "مقاولة سوس للفلاحة", "شركة الريف للصيد",
)
ARABIC_PERSON_NAMES: tuple[str, ...] = (
    "محمد العلوي", "أحمد بناني", "يوسف التازي", "فاطمة الإدريسي", "خديجة برادة", "حسن الشرايبي",
    "رشيد العمراني", "سعيد المنصوري", "عبد الله الفاسي", "نعيمة الكتاني",
)

STREET_TYPES: tuple[str, ...] = ("Boulevard", "Avenue", "Rue", "Rue", "Rue", "Lotissement", "Résidence")
STREET_NAMES: tuple[str, ...] = (
    "Mohammed V", "Hassan II", "Zerktouni", "Anfa", "Al Massira", "Abdelmoumen", "Moulay Youssef",
    "Moulay Ismail", "Ibn Sina", "Al Qods", "Bir Anzarane", "Ghandi", "Al Fida", "Oued Sebou",
    "Allal El Fassi", "Mohammed VI", "Ibn Tachfine", "Al Hansali", "Mly Rachid", "Sidi Brahim",
    "de la Résistance", "des FAR", "Al Wahda", "Bab Fès", "Tarik Ibn Ziad", "Oqba Ibn Nafii",
    "Lalla Yacout", "Al Jadida", "Emile Zola", "Abou Bakr Seddik", "2 Mars", "Al Mouqawama",
)
DISTRICTS: tuple[str, ...] = (
    "Maarif", "Hay Hassani", "Sidi Maarouf", "Ain Sebaa", "Agdal", "Hay Riad", "Gueliz",
    "Hay Mohammadi", "Bernoussi", "Sidi Moumen", "Quartier Industriel", "Zone Industrielle",
    "Centre Ville", "Hay Al Fath", "Hay Salam", "Medina",
)

EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "gmail.com", "gmail.com", "yahoo.fr", "hotmail.com", "menara.ma", "outlook.com",
    "hotmail.fr",
)

# Transliteration variants: one spelling of a word may be typed as any other of its group.
TRANSLITERATIONS: tuple[tuple[str, ...], ...] = (
    ("Mohammed", "Mohamed", "Mohamad", "Mhamed", "Mohammad"),
    ("El", "Al", "El-"),
    ("Ait", "Aït", "Aït-", "Ayt"),
    ("Ou", "Ouled", "Oulad"),
    ("Abdellah", "Abdallah", "Abdelah"),
    ("Youssef", "Youssouf", "Yousef"),
    ("Said", "Saïd", "Saeed"),
    ("Aicha", "Aïcha", "Aisha"),
    ("Hassan", "Hasan"),
    ("Fès", "Fes", "Fez"),
    ("Négoce", "Negoce"),
    ("Bâtiment", "Batiment"),
    ("Ben", "Bin", "Ibn"),
    ("Chraibi", "Chraïbi"),
    ("Sqalli", "Skalli"),
)

ADDRESS_ABBREVIATIONS: tuple[tuple[str, ...], ...] = (
    ("Boulevard", "Bd", "Bld", "Bd.", "BD"),
    ("Avenue", "Av", "Av.", "AV"),
    ("Résidence", "Res.", "Residence", "Rés"),
    ("Lotissement", "Lot.", "Lot"),
    ("Rue", "R.", "rue"),
    ("Quartier", "Qu.", "Q."),
    ("Zone Industrielle", "Z.I.", "ZI"),
)
