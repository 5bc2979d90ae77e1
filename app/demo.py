"""The demo movement loaded by `flask seed-demo`: fictional people, real-looking organisations.

Later parts of Caravana add their own demo data by appending a function to SEEDERS; each
receives the DemoWorld built so far.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from app.auth.passwords import hash_password
from app.extensions import db
from app.markup import render_markdown
from app.models import (
    JoinRequest,
    Membership,
    Organisation,
    OrganisationLanguage,
    OrgStatus,
    Role,
    User,
    utcnow,
)

DEMO_PASSWORD = "caravana-demo-2026"  # noqa: S105 - printed for the public demo


@dataclass
class DemoWorld:
    """What the seeders have created so far, for the next seeder to build on."""

    users: dict[str, User] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    accounts: list[tuple[str, str, str, str]] = field(default_factory=list)


# slug, name, country, region, languages, description, coordinator, member, locale, zone
ORGANISATIONS = [
    (
        "movimiento-mesoamericano",
        "Movimiento Mesoamericano por la Vida",
        "MX",
        "Ciudad de México",
        ["es", "en"],
        "Red regional que acompaña a las madres de Centroamérica en la **caravana anual** "
        "por México, de albergue en albergue, buscando a sus hijos e hijas.",
        ("Lucía Hernández", "lucia"),
        ("Tomás Reyes", "tomas"),
        "es",
        "America/Mexico_City",
    ),
    (
        "rete-carovane-migranti",
        "Rete Carovane Migranti",
        "IT",
        "Sicilia",
        ["it", "fr", "en"],
        "Rete italiana che organizza carovane verso il Sahel e il Mediterraneo con le famiglie "
        "dei dispersi, e che ospita il **vertice delle madri** a Palermo.",
        ("Giulia Russo", "giulia"),
        ("Marco Bellini", "marco"),
        "it",
        "Europe/Rome",
    ),
    (
        "comite-progreso",
        "Comité de Familiares de Migrantes de El Progreso",
        "HN",
        "Yoro",
        ["es"],
        "Comité de familias hondureñas. Nos reunimos cada mes para compartir noticias, "
        "preparar la caravana y tomar muestras de ADN con el equipo forense.",
        ("Rosa Martínez", "rosa"),
        ("Ana Castillo", "ana"),
        "es",
        "America/Tegucigalpa",
    ),
    (
        "madres-el-salvador",
        "Comité Salvadoreño de Madres Buscadoras",
        "SV",
        "San Salvador",
        ["es"],
        "Madres salvadoreñas que buscan a sus hijos desaparecidos en la ruta hacia el norte.",
        ("Marta Rivas", "marta"),
        ("Carmen Flores", "carmen"),
        "es",
        "America/El_Salvador",
    ),
    (
        "familias-huehuetenango",
        "Familias Buscadoras de Huehuetenango",
        "GT",
        "Huehuetenango",
        ["es", "mam"],
        "Familias mayas y mestizas de la frontera. Acompañamos en español y en mam.",
        ("Elena Pérez", "elena"),
        ("Juana Ramírez", "juana"),
        "es",
        "America/Guatemala",
    ),
    (
        "madres-veracruz",
        "Colectivo de Madres Buscadoras de Veracruz",
        "MX",
        "Veracruz",
        ["es"],
        "Colectivo de madres mexicanas y centroamericanas que buscan en fosas y albergues.",
        ("Guadalupe Torres", "guadalupe"),
        ("Sofía Morales", "sofia"),
        "es",
        "America/Mexico_City",
    ),
    (
        "familles-thiaroye",
        "Collectif des familles de disparus de Thiaroye-sur-Mer",
        "SN",
        "Dakar",
        ["fr", "wo"],
        "Familles de jeunes partis en pirogue vers les Canaries. Nous demandons la vérité "
        "et le retour des corps.",
        ("Aminata Diop", "aminata"),
        ("Fatou Ndiaye", "fatou"),
        "fr",
        "Africa/Dakar",
    ),
    (
        "meres-nouadhibou",
        "Association des mères de Nouadhibou",
        "MR",
        "Nouadhibou",
        ["fr", "ar"],
        "Mères mauritaniennes et ouest-africaines qui cherchent leurs enfants disparus "
        "au départ de Nouadhibou.",
        ("Mariem Mint Ahmed", "mariem"),
        ("Khadija Sall", "khadija"),
        "fr",
        "Africa/Nouakchott",
    ),
    (
        "ummahat-sfax",
        "جمعية أمهات المفقودين بصفاقس",
        "TN",
        "Sfax",
        ["ar", "fr"],
        "جمعية لأمهات الشباب المفقودين في البحر بعد مغادرتهم سواحل صفاقس. نطالب بالحقيقة والعدالة.",
        ("Samira Ben Salah", "samira"),
        ("Leila Trabelsi", "leila"),
        "ar",
        "Africa/Tunis",
    ),
    (
        "harraga-oran",
        "Collectif des familles de harraga d'Oran",
        "DZ",
        "Oran",
        ["ar", "fr"],
        "Familles algériennes de jeunes harraga disparus en mer entre l'Algérie et l'Espagne.",
        ("Nadia Boudiaf", "nadia"),
        ("Yasmina Khelifa", "yasmina"),
        "ar",
        "Africa/Algiers",
    ),
]


def _user(
    world: DemoWorld,
    key: str,
    name: str,
    locale: str,
    zone: str,
    role: str,
    password_hash: str,
    *,
    is_admin: bool = False,
) -> User:
    email = f"{key}@caravana.example"
    user = User(
        email=email,
        display_name=name,
        locale=locale,
        timezone=zone,
        password_hash=password_hash,
        is_admin=is_admin,
    )
    db.session.add(user)
    world.users[key] = user
    world.accounts.append((role, email, locale, zone))
    return user


def seed_organisations(world: DemoWorld) -> None:
    """Ten approved organisations with a coordinator and a member each, plus the queue."""
    password_hash = hash_password(DEMO_PASSWORD)
    _user(
        world,
        "admin",
        "Platform Admin",
        "en",
        "Europe/Rome",
        "platform administrator",
        password_hash,
        is_admin=True,
    )
    for (
        slug,
        name,
        country,
        region,
        languages,
        description,
        coordinator,
        member,
        locale,
        zone,
    ) in ORGANISATIONS:
        org = Organisation(
            slug=slug,
            name=name,
            country=country,
            region=region,
            description=description,
            description_html=str(render_markdown(description)),
            status=OrgStatus.APPROVED,
            decided_at=utcnow(),
            contact_email=f"contact@{slug}.example",
            languages=[OrganisationLanguage(code=c) for c in languages],
        )
        db.session.add(org)
        world.orgs[slug] = org
        boss = _user(
            world,
            coordinator[1],
            coordinator[0],
            locale,
            zone,
            f"coordinator, {name[:28]}",
            password_hash,
        )
        helper = _user(
            world, member[1], member[0], locale, zone, f"member, {name[:28]}", password_hash
        )
        org.requested_by = boss
        db.session.add_all(
            [
                Membership(user=boss, organisation=org, role=Role.COORDINATOR),
                Membership(user=helper, organisation=org, role=Role.MEMBER),
            ]
        )
    outsider = _user(
        world,
        "outsider",
        "Paula Journalist",
        "en",
        "Europe/Madrid",
        "outsider (no organisation)",
        password_hash,
    )
    pending = Organisation(
        slug="familias-nicaragua",
        name="Red de Familias Migrantes de Nicaragua",
        country="NI",
        region="Managua",
        status=OrgStatus.PENDING,
        description="Familias nicaragüenses que buscan a sus migrantes.",
        description_html=str(render_markdown("Familias nicaragüenses que buscan a sus migrantes.")),
        requested_by=outsider,
        languages=[OrganisationLanguage(code="es")],
    )
    db.session.add(pending)
    db.session.flush()
    db.session.add(
        JoinRequest(
            organisation=world.orgs["comite-progreso"],
            user=outsider,
            message="Soy periodista y quiero acompañar al comité.",
        )
    )
    db.session.commit()


def seed_large(world: DemoWorld) -> None:
    """Hundreds of organisations and thousands of users, for benchmarks."""
    rng = random.Random(2026)
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: thousands would take minutes
    countries = ["HN", "SV", "GT", "NI", "MX", "SN", "MR", "TN", "DZ", "IT"]
    for n in range(300):
        country = rng.choice(countries)
        org = Organisation(
            slug=f"bench-org-{n}",
            name=f"Bench organisation {n:03d}",
            country=country,
            region=f"Region {n % 17}",
            description=f"Benchmark organisation number {n}.",
            description_html=str(render_markdown(f"Benchmark organisation number {n}.")),
            status=OrgStatus.APPROVED,
            languages=[OrganisationLanguage(code=rng.choice(["es", "fr", "ar"]))],
        )
        db.session.add(org)
        for m in range(10):
            user = User(
                email=f"bench-{n}-{m}@caravana.example",
                display_name=f"Bench {n}-{m}",
                password_hash=password_hash,
                locale="es",
                timezone="UTC",
            )
            db.session.add(
                Membership(
                    user=user, organisation=org, role=Role.COORDINATOR if m == 0 else Role.MEMBER
                )
            )
        if n % 50 == 49:
            db.session.commit()
    db.session.commit()
    world.accounts.append(("3000 benchmark users", "bench-N-M@caravana.example", "es", "UTC"))


def _seed_rooms(world: DemoWorld) -> None:
    from app.rooms.demo import seed_rooms

    seed_rooms(world)


def _seed_campaigns(world: DemoWorld) -> None:
    from app.campaigns.demo import seed_campaigns

    seed_campaigns(world)


def _seed_library(world: DemoWorld) -> None:
    from app.library.demo import seed_library

    seed_library(world)


def _seed_manifestos(world: DemoWorld) -> None:
    from app.manifestos.demo import seed_manifestos

    seed_manifestos(world)


SEEDERS: list[Callable[[DemoWorld], None]] = [
    seed_organisations,
    _seed_rooms,
    _seed_campaigns,
    _seed_library,
    _seed_manifestos,
]


def seed(scale: str = "small") -> list[tuple[str, str, str, str]]:
    """Run every seeder; return (role, e-mail, language, zone) for each demo account."""
    world = DemoWorld()
    for seeder in SEEDERS:
        seeder(world)
    if scale == "large":
        seed_large(world)
    return world.accounts
