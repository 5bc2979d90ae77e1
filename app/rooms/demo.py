"""Demo rooms and conversations in several languages, for `flask seed-demo`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.models import RoomScope
from app.rooms import services

if TYPE_CHECKING:
    from app.demo import DemoWorld

# (room name, description, organisation slug or None for the whole movement, messages)
ROOMS = [
    (
        "Café del movimiento · Café du mouvement",
        "Para saludarse y compartir noticias entre todas las organizaciones.",
        None,
        [
            ("lucia", "¡Buenos días a todas! Hoy salimos de Tapachula con la caravana. 🚌"),
            ("aminata", "Bonjour de Dakar. Nous pensons à vous et à vos enfants."),
            ("giulia", "Da Palermo un abbraccio. Martedì alle 17 c'è la riunione online."),
            ("samira", "مساء الخير من صفاقس. نحن معكم في البحث عن الحقيقة."),
            ("rosa", "Gracias @Giulia. ¿La reunión tendrá traducción al francés y al árabe?"),
            ("giulia", "Sì, @Rosa: avremo interpreti per **francese**, **arabo** e spagnolo."),
            ("nadia", "Merci ! Les familles d'Oran seront connectées."),
        ],
    ),
    (
        "Comité El Progreso",
        "Conversación interna del comité.",
        "comite-progreso",
        [
            ("rosa", "Recordatorio: el sábado tomamos muestras de ADN en la parroquia."),
            ("ana", "Yo llevo las fotos y los documentos de doña Carmen."),
            ("rosa", "Perfecto, @Ana. Traigan también copia de la denuncia si la tienen."),
        ],
    ),
    (
        "أمهات صفاقس",
        "غرفة الجمعية للتنسيق.",
        "ummahat-sfax",
        [
            ("samira", "الاجتماع مع الوالي يوم الخميس على الساعة العاشرة."),
            ("leila", "سأحضر مع ثلاث أمهات من الحي."),
        ],
    ),
    (
        "Carovana 2026",
        "Organizzazione della carovana verso il Sahel.",
        "rete-carovane-migranti",
        [
            ("giulia", "Abbiamo confermato le tappe: Dakar, Nouadhibou, Tunisi."),
            ("marco", "Preparo la lista dei contatti con le associazioni locali."),
        ],
    ),
]


def seed_rooms(world: DemoWorld) -> None:
    """Open the demo rooms and replay their conversations."""
    admin = world.users["admin"]
    for name, description, slug, lines in ROOMS:
        org = world.orgs[slug] if slug else None
        scope = RoomScope.ORGANISATION if org else RoomScope.MOVEMENT
        creator = world.users[lines[0][0]] if org else admin
        room = services.create_room(creator, scope, name, description, org)
        for number, (author, body) in enumerate(lines, start=1):
            services.post_message(world.users[author], room, body, f"demo-{room.id}-{number:04d}")
