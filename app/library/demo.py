"""Demo documents for `flask seed-demo`: a living library in five languages and every format.

Each file is built in memory (PDF with fpdf2's core fonts, DOCX, ODT, Markdown, plain text),
the same bytes on every run, and added through the library's own upload path, so it is sniffed,
hashed and stored under a random name like any upload. The worker then reads them all at once,
so a newcomer can search straight away. Words worth trying: campaña (finds campañas), familles
(finds famille), famiglie, searching, المفقودين (finds مفقود), and "amparo", which is only on
page 3 of the Mexican legal guide. Every person and story here is invented.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.extensions import db
from app.library import services, worker
from app.models import Campaign, DocumentVisibility

if TYPE_CHECKING:
    from app.demo import DemoWorld

FIXED_TIME = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)  # inside the files: same bytes every run

PUBLIC = DocumentVisibility.PUBLIC
MOVEMENT = DocumentVisibility.MOVEMENT
ORGANISATION = DocumentVisibility.ORGANISATION


@dataclass(frozen=True)
class DemoDocument:
    """One demo document: who adds it, what it says, in which format and for whom."""

    org: str  # organisation slug
    user: str  # key of a member or coordinator of that organisation
    filename: str
    title: str
    description: str
    language: str
    tags: tuple[str, ...]
    visibility: DocumentVisibility
    parts: tuple[str, ...]  # pages of a PDF, paragraphs otherwise (Markdown/text: joined)
    heading: str = ""
    table: tuple[tuple[str, ...], ...] = ()  # a DOCX table after the paragraphs
    campaign_of: str = ""  # the lead organisation's slug whose caravan this document belongs to


# --- Builders ------------------------------------------------------------------------------


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every entry dated FIXED_TIME (zip writers stamp the clock)."""
    out = io.BytesIO()
    stamp = FIXED_TIME.timetuple()[:6]
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():  # order kept: ODT's "mimetype" stays first and stored
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info))
    return out.getvalue()


def pdf_bytes(pages: tuple[str, ...], title: str) -> bytes:
    """A PDF with one page per string, in Helvetica (core fonts: latin-1 text only)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(FIXED_TIME)
    title.encode("latin-1")  # fails loudly on text the core fonts cannot draw
    pdf.set_title(title)
    for number, page in enumerate(pages, start=1):
        page.encode("latin-1")  # fails loudly on text the core fonts cannot draw
        pdf.add_page()
        if number == 1:
            pdf.set_font("Helvetica", style="B", size=15)
            pdf.multi_cell(0, 9, title)
            pdf.ln(4)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, page)
        pdf.set_y(-20)
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 6, f"{number} / {len(pages)}", align="C")
    return bytes(pdf.output())


def docx_bytes(
    heading: str, paragraphs: tuple[str, ...], table: tuple[tuple[str, ...], ...] = ()
) -> bytes:
    """A DOCX with a heading, these paragraphs, then a table if given."""
    from docx import Document as WordDocument

    document = WordDocument()
    document.core_properties.created = FIXED_TIME.replace(tzinfo=None)
    document.core_properties.modified = FIXED_TIME.replace(tzinfo=None)
    if heading:
        document.add_heading(heading, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return _fixed_zip(out.getvalue())


def odt_bytes(heading: str, paragraphs: tuple[str, ...]) -> bytes:
    """An ODT with a heading, then these paragraphs."""
    from odf import text as odf_text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    if heading:
        document.text.addElement(odf_text.H(outlinelevel=1, text=heading))
    for paragraph in paragraphs:
        document.text.addElement(odf_text.P(text=paragraph))
    out = io.BytesIO()
    document.write(out)
    return _fixed_zip(out.getvalue())


def text_bytes(heading: str, paragraphs: tuple[str, ...], markdown: bool) -> bytes:
    """UTF-8 text: a Markdown title or an underlined one, then the paragraphs."""
    top = f"# {heading}" if markdown else f"{heading}\n{'=' * len(heading)}"
    return ("\n\n".join([top, *paragraphs]) + "\n").encode("utf-8")


def file_bytes(doc: DemoDocument) -> bytes:
    """The document's file, by the extension of its name."""
    kind = doc.filename.rsplit(".", 1)[-1]
    heading = doc.heading or doc.title
    if kind == "pdf":
        return pdf_bytes(doc.parts, heading)
    if kind == "docx":
        return docx_bytes(heading, doc.parts, doc.table)
    if kind == "odt":
        return odt_bytes(heading, doc.parts)
    return text_bytes(heading, doc.parts, markdown=kind == "md")


# --- The documents ---------------------------------------------------------------------------

DOCUMENTS: tuple[DemoDocument, ...] = (
    DemoDocument(
        org="madres-veracruz",
        user="guadalupe",
        filename="guia-solicitud-de-busqueda.pdf",
        title="Guía práctica: cómo presentar una solicitud de búsqueda en México",
        description=(
            "Guía paso a paso para familias que buscan a una persona migrante desaparecida en "
            "México: la **solicitud de búsqueda**, la denuncia y los derechos que reconoce la "
            "Ley General en Materia de Desaparición. Tres páginas."
        ),
        language="es",
        tags=("guía legal", "solicitud de búsqueda", "ley general", "méxico"),
        visibility=PUBLIC,
        parts=(
            "1. Quién puede pedir la búsqueda\n\n"
            "Cualquier familiar, amiga o compañero de camino puede pedir que se busque a una "
            "persona desaparecida. No hace falta ser mexicana ni tener papeles: la Ley General "
            "en Materia de Desaparición Forzada de Personas, Desaparición Cometida por "
            "Particulares y del Sistema Nacional de Búsqueda de Personas protege también a las "
            "familias de migrantes que viven en Honduras, El Salvador o Guatemala.\n\n"
            "La solicitud de búsqueda se presenta ante la Comisión Nacional de Búsqueda o ante la "
            "comisión local del estado donde se perdió el contacto. Las autoridades no pueden "
            "pedir que pasen 72 horas: la búsqueda debe empezar de inmediato.",
            "2. Qué llevar y qué contar\n\n"
            "Lleve una fotografía reciente, el nombre completo y los apodos, la fecha y el lugar "
            "de la última llamada, la ropa que llevaba y las señas particulares (cicatrices, "
            "tatuajes, dientes). Si la persona viajaba con otras personas, anote sus nombres y "
            "números de teléfono.\n\n"
            "Pida siempre una copia sellada de su solicitud y el número de folio. Las familias "
            "que buscaron juntas en las campañas anteriores aprendieron que el folio es la llave "
            "para preguntar después. Puede pedir también que le tomen una muestra de ADN para el "
            "Banco Nacional de Datos Forenses, y que la registren en el Mecanismo de Apoyo "
            "Exterior desde el consulado de su país.",
            "3. Si la autoridad no actúa\n\n"
            "Si pasan los días y nadie le informa, usted tiene derecho a conocer el avance de la "
            "búsqueda y a participar en ella. Si la autoridad se niega a recibir la solicitud o "
            "no hace nada, puede presentar un amparo buscador ante un juzgado de distrito: la "
            "jueza puede ordenar que se busque de inmediato, en cárceles, hospitales, "
            "estaciones migratorias y servicios forenses.\n\n"
            "No está sola. Los colectivos de madres buscadoras acompañan gratuitamente a las "
            "familias, y las caravanas de madres centroamericanas recorren cada año los "
            "albergues y las fiscalías para entregar fichas de búsqueda y exigir respuestas.",
        ),
    ),
    DemoDocument(
        org="movimiento-mesoamericano",
        user="lucia",
        filename="informe-ruta-caravana.pdf",
        title="Informe de la ruta de la Caravana de Madres Centroamericanas",
        description=(
            "Crónica de la ruta: etapas, albergues visitados, encuentros con autoridades y "
            "reencuentros. Para compartir con las familias y la prensa."
        ),
        language="es",
        tags=("caravana", "informe", "ruta migratoria"),
        visibility=PUBLIC,
        campaign_of="movimiento-mesoamericano",
        parts=(
            "Salida y primeras etapas\n\n"
            "La caravana salió de Tegucigalpa y de San Salvador con cuarenta madres, padres y "
            "hermanas que buscan a sus hijos e hijas desaparecidos en la ruta migratoria. En "
            "Tecún Umán cruzamos el río Suchiate, como lo cruzaron ellos, y en Tapachula "
            "visitamos la estación migratoria y dos albergues.\n\n"
            "En cada etapa colgamos las fotografías en las plazas y preguntamos a la gente si "
            "había visto a alguno de nuestros hijos. Esta campaña, como las campañas de años "
            "anteriores, se apoya en los albergues y en las parroquias que nos reciben.",
            "Encuentros y resultados\n\n"
            "En Oaxaca, Veracruz y Puebla nos reunimos con las fiscalías y con las comisiones "
            "de búsqueda. Entregamos 63 fichas nuevas y pedimos información sobre 210 casos "
            "abiertos. Dos familias recibieron pistas que ahora siguen los equipos forenses.\n\n"
            "Agradecemos a los albergues de la ruta, a los colectivos de madres buscadoras de "
            "México y a las personas que nos abrieron su casa. Seguiremos caminando hasta "
            "encontrarlos.",
        ),
    ),
    DemoDocument(
        org="comite-progreso",
        user="rosa",
        filename="testimonio-dona-dolores.docx",
        title="Testimonio de doña Dolores (datos personales, solo para el comité)",
        description=(
            "Testimonio recogido en la reunión del comité. Contiene datos personales de la "
            "familia: **no compartir fuera del comité**. Nombres inventados para la demostración."
        ),
        language="es",
        tags=("testimonio", "datos personales", "el progreso"),
        visibility=ORGANISATION,
        parts=(
            "Me llamo Dolores Aguilar y vivo en la colonia San Jorge de El Progreso, Yoro. Mi "
            "hijo Kevin salió de la casa en marzo, con diecinueve años, para buscar trabajo en "
            "el norte. La última vez que hablamos me llamó desde Coatzacoalcos, Veracruz; me "
            "dijo que estaba bien y que iba a subir al tren.",
            "Desde entonces no sé nada. Vendí la tienda de abarrotes para pagar los viajes a "
            "la capital y las llamadas. He participado en dos campañas del comité y en la "
            "caravana de madres; en cada campaña llevo su foto y su carta de bautismo.",
            "Kevin tiene una cicatriz en la ceja izquierda y un tatuaje con el nombre de su "
            "hermana en el brazo. Su teléfono era el 9876-5432. Di mi muestra de ADN en la "
            "parroquia con el equipo forense el año pasado.",
            "Pido a las autoridades de México y de Honduras que no nos olviden. Una madre no "
            "deja de buscar.",
        ),
    ),
    DemoDocument(
        org="familles-thiaroye",
        user="aminata",
        filename="guide-droits-des-familles.pdf",
        title="Guide des droits des familles de disparus (Sénégal et Mauritanie)",
        description=(
            "Ce que chaque famille peut demander aux autorités du Sénégal et de la Mauritanie "
            "quand un fils ou une fille est parti en pirogue et ne donne plus de nouvelles."
        ),
        language="fr",
        tags=("guide juridique", "droits", "sénégal", "mauritanie"),
        visibility=PUBLIC,
        parts=(
            "Vos droits\n\n"
            "Toute famille a le droit de savoir ce qui est arrivé à son proche disparu. Ce "
            "droit à la vérité est reconnu par le droit international et par la Convention "
            "internationale pour la protection de toutes les personnes contre les disparitions "
            "forcées. Une famille n'a pas besoin d'un avocat pour signaler une disparition.\n\n"
            "Au Sénégal, la déclaration se fait à la gendarmerie ou au commissariat le plus "
            "proche. En Mauritanie, les familles peuvent s'adresser à la police de Nouadhibou "
            "et à la Commission nationale des droits de l'homme.",
            "Les démarches utiles\n\n"
            "Demandez un récépissé de votre déclaration. Gardez la liste des personnes qui "
            "sont parties dans la même pirogue, la date du départ et le nom du capitaine si "
            "vous le connaissez. Les familles qui se regroupent en collectif sont plus "
            "écoutées : ensemble, elles peuvent demander aux consulats d'Espagne et du Maroc "
            "des informations sur les arrivées et sur les corps retrouvés.\n\n"
            "Si un corps est retrouvé, la famille a le droit d'être informée, de participer "
            "à l'identification et de demander le rapatriement. Notre collectif accompagne "
            "gratuitement chaque famille dans ces démarches.",
        ),
    ),
    DemoDocument(
        org="meres-nouadhibou",
        user="mariem",
        filename="compte-rendu-assemblee-nouadhibou.odt",
        title="Compte rendu de l'assemblée des mères de Nouadhibou",
        description="Compte rendu interne de l'assemblée mensuelle : noms des familles présentes.",
        language="fr",
        tags=("compte rendu", "assemblée", "nouadhibou"),
        visibility=ORGANISATION,
        parts=(
            "Présentes : vingt-deux mères et quatre pères. Mme Awa Ba (invitée, fille partie "
            "en 2023) a raconté ses recherches auprès des hôpitaux de Dakhla.",
            "Points discutés : la préparation de la caravane avec la Rete Carovane Migranti, "
            "le prélèvement ADN proposé par le Comité international de la Croix-Rouge, et "
            "les visites aux autorités du port. Plusieurs mères ont cherché des nouvelles "
            "auprès des pêcheurs ; elles cherchent encore.",
            "Décisions : chaque famille apporte une photo et une fiche complète à la prochaine "
            "assemblée. Khadija tient la liste des téléphones, qui ne doit pas sortir de "
            "l'association.",
        ),
    ),
    DemoDocument(
        org="ummahat-sfax",
        user="samira",
        filename="bayan-aailat-al-mafqoudin.docx",
        title="بيان عائلات المفقودين في صفاقس",
        description="بيان عام لعائلات الشباب المفقودين في البحر، موجه إلى السلطات والرأي العام.",
        language="ar",
        tags=("بيان", "صفاقس", "المفقودين"),
        visibility=PUBLIC,
        parts=(
            "نحن عائلات الشباب المفقودين الذين غادروا سواحل صفاقس في قوارب صغيرة نحو إيطاليا، "
            "نرفع صوتنا من جديد. مرت سنوات ولم نعرف شيئا عن أبنائنا وبناتنا.",
            "كل عائلة تعيش الانتظار نفسه: أم تنتظر مكالمة، وأب يسأل في الموانئ والمستشفيات. "
            "كل مفقود له اسم ووجه وعائلة تبحث عنه.",
            "نطالب السلطات التونسية والإيطالية بفتح ملفات المفقودين، وبأخذ عينات الحمض النووي "
            "من العائلات، وبمقارنتها مع بيانات الجثث التي عثر عليها في البحر.",
            "نطالب بالحقيقة والعدالة، وبحق كل عائلة في دفن أبنائها بكرامة. لن نتوقف عن البحث.",
        ),
    ),
    DemoDocument(
        org="harraga-oran",
        user="nadia",
        filename="mahdar-ijtimaa-wahran.md",
        title="محضر اجتماع عائلات الحراقة بوهران",
        description="ملخص الاجتماع الشهري للعائلات والقرارات المتخذة.",
        language="ar",
        tags=("محضر", "وهران", "اجتماع"),
        visibility=MOVEMENT,
        parts=(
            "## الحضور\n\nحضرت الاجتماع خمس عشرة عائلة من أحياء وهران، وممثلة عن جمعية أمهات "
            "صفاقس عبر الإنترنت.",
            "## النقاط\n\n- متابعة الرسائل الموجهة إلى القنصلية الإسبانية في أليكانتي.\n"
            "- تنظيم وقفة أمام الولاية في اليوم العالمي للمفقودين.\n"
            "- جمع صور الشباب المفقودين وتواريخ مغادرتهم.",
            "## القرارات\n\nتتكفل نادية بكتابة رسالة جديدة إلى السلطات. تجمع ياسمينة صور "
            "المفقودين قبل الاجتماع القادم.",
        ),
    ),
    DemoDocument(
        org="rete-carovane-migranti",
        user="giulia",
        filename="rapporto-identificazione-vittime.pdf",
        title="Rapporto sull'identificazione delle vittime nel Mediterraneo",
        description=(
            "Come lavorano medici legali, procure e famiglie per dare un nome alle persone "
            "morte nei naufragi. Con raccomandazioni alle autorità."
        ),
        language="it",
        tags=("identificazione", "mediterraneo", "rapporto", "dna"),
        visibility=PUBLIC,
        parts=(
            "Il problema\n\n"
            "Ogni anno centinaia di corpi vengono recuperati nel Mediterraneo centrale e sepolti "
            "senza nome nei cimiteri della Sicilia, della Calabria e di Lampedusa. Per le "
            "famiglie dei dispersi questo significa un'attesa senza fine: una famiglia che non "
            "può seppellire il proprio figlio non può chiudere il lutto.\n\n"
            "L'identificazione delle vittime è possibile: richiede che i dati post mortem "
            "raccolti in Italia siano confrontati con i dati ante mortem forniti dalle famiglie "
            "in Tunisia, in Senegal, in Algeria e negli altri paesi di partenza.",
            "Le raccomandazioni\n\n"
            "Chiediamo un registro nazionale dei corpi non identificati, accessibile alle "
            "famiglie attraverso le associazioni; la raccolta dei campioni di DNA dei familiari "
            "nei consolati; e che ogni tomba senza nome riporti un codice che permetta di "
            "ritrovarla.\n\n"
            "Le carovane della rete hanno incontrato madri e padri a Zarzis, a Sfax e a Dakar: "
            "tutte le famiglie incontrate chiedono la stessa cosa, sapere e riportare a casa i "
            "loro figli.",
        ),
    ),
    DemoDocument(
        org="rete-carovane-migranti",
        user="marco",
        filename="note-riunione-vertice-madri.md",
        title="Note della riunione: preparazione del vertice delle madri a Palermo",
        description="Appunti della riunione online di coordinamento con le associazioni.",
        language="it",
        tags=("riunione", "vertice", "palermo"),
        visibility=MOVEMENT,
        parts=(
            "**Presenti:** Giulia, Marco, le associazioni di Sfax, Oran e Thiaroye, il "
            "Movimiento Mesoamericano (con interpretazione in spagnolo e francese).",
            "## Decisioni\n\n"
            "1. Il vertice si terrà a Palermo in autunno, per tre giorni.\n"
            "2. Ogni associazione porta due madri; la rete copre viaggi e alloggio.\n"
            "3. Una giornata sarà dedicata all'identificazione dei corpi, con i medici legali.",
            "## Da fare\n\n"
            "- Marco: lettere di invito per i visti (entro fine mese).\n"
            "- Giulia: contattare le famiglie che hanno cercato i loro figli negli obitori "
            "siciliani.\n"
            "- Tutte: raccogliere le foto per la mostra.",
        ),
    ),
    DemoDocument(
        org="movimiento-mesoamericano",
        user="tomas",
        filename="dna-database-faq.docx",
        title="Forensic DNA databases: questions families ask",
        description=(
            "Plain answers about giving a DNA sample, who keeps it and how matches are made, "
            "for families searching for a missing migrant."
        ),
        language="en",
        tags=("dna", "forensics", "faq"),
        visibility=PUBLIC,
        parts=(
            "Why do the teams ask for my DNA? When a body is found and cannot be recognised, "
            "its DNA is compared with samples given by the relatives of missing people. A "
            "match is only possible if the family has given a sample.",
            "Who should give a sample? Ideally the mother and father of the missing person; "
            "if they cannot, brothers, sisters or children. Two relatives are better than one.",
            "Who keeps my sample? Regional forensic databases run with independent forensic "
            "teams keep the profiles. They are used only for searching for missing people, "
            "never for immigration control, and a family can ask for its sample to be "
            "withdrawn.",
            "How long does it take? Comparisons run every time a new profile arrives. Some "
            "families searched for years before a match; others were contacted within "
            "months. The team always tells the family in person, never by telephone alone.",
        ),
    ),
    DemoDocument(
        org="madres-el-salvador",
        user="marta",
        filename="acta-jornada-muestras-adn.odt",
        title="Acta de la jornada de toma de muestras de ADN en San Salvador",
        description="Resumen de la jornada con el equipo forense: cuántas familias participaron.",
        language="es",
        tags=("adn", "jornada", "forense"),
        visibility=MOVEMENT,
        parts=(
            "El sábado se realizó en San Salvador la jornada de toma de muestras de ADN con el "
            "equipo forense. Participaron treinta y una familias de cinco departamentos.",
            "Las madres recibieron información sobre el banco forense de migrantes no "
            "localizados: quién guarda las muestras, cómo se comparan y cómo se avisa a las "
            "familias si hay una coincidencia.",
            "Próximos pasos: una segunda jornada en San Miguel, y acompañar a las familias que "
            "aún no han presentado denuncia. Las campañas de difusión por radio seguirán "
            "durante el mes.",
        ),
    ),
    DemoDocument(
        org="familias-huehuetenango",
        user="elena",
        filename="notas-reunion-huehuetenango.md",
        title="Notas de la reunión de familias buscadoras de Huehuetenango",
        description="Acuerdos de la reunión mensual (en español; resumen oral en mam).",
        language="es",
        tags=("reunión", "acuerdos", "huehuetenango"),
        visibility=PUBLIC,
        parts=(
            "**Fecha:** primer domingo del mes, en el salón comunal.",
            "## Acuerdos\n\n"
            "- Preparar las fichas de búsqueda de las doce familias nuevas.\n"
            "- Pedir a la comisión de búsqueda de México noticias de los casos de Chiapas.\n"
            "- Sumarnos a la campaña de radio en español y en mam.",
            "## Notas\n\n"
            "Juana explicó cómo buscamos en los registros de los albergues. Varias familias "
            "contaron que buscaron durante años sin apoyo; ahora buscamos juntas.",
        ),
    ),
    DemoDocument(
        org="madres-veracruz",
        user="sofia",
        filename="tabla-busquedas-en-campo-2025.txt",
        title="Tabla: búsquedas en campo del colectivo, 2025",
        description="Datos agregados, sin nombres: salidas a campo por mes y municipio.",
        language="es",
        tags=("datos", "búsquedas en campo", "veracruz"),
        visibility=MOVEMENT,
        parts=(
            "Datos agregados del colectivo. No contiene nombres ni datos personales.",
            "Mes        | Municipio      | Salidas | Familias | Hallazgos\n"
            "-----------+----------------+---------+----------+----------\n"
            "Enero      | Coatzacoalcos  |       3 |       14 |         1\n"
            "Febrero    | Xalapa         |       2 |        9 |         0\n"
            "Marzo      | Veracruz       |       4 |       21 |         2\n"
            "Abril      | Córdoba        |       2 |       11 |         0\n"
            "Mayo       | Tierra Blanca  |       3 |       17 |         1\n"
            "Junio      | Coatzacoalcos  |       2 |       12 |         0",
            "Notas: las campañas de búsqueda en campo se hacen siempre con acompañamiento de la "
            "comisión estatal. Un hallazgo no es una identificación: la identificación la "
            "confirma el servicio forense.",
        ),
    ),
    DemoDocument(
        org="ummahat-sfax",
        user="leila",
        filename="shahadat-umm.txt",
        title="شهادة أم من صفاقس (معطيات شخصية)",
        description="شهادة خاصة بالجمعية فقط. الأسماء مختلقة لأغراض العرض.",
        language="ar",
        tags=("شهادة", "معطيات شخصية"),
        visibility=ORGANISATION,
        parts=(
            "اسمي فاطمة الحمروني، من حي الربض بصفاقس. غادر ابني أيمن في قارب ليلة من ليالي "
            "سبتمبر، وكان عمره عشرين سنة.",
            "اتصل بي صديقه من لامبيدوزا وقال إن القارب انقلب. منذ ذلك اليوم وأنا أبحث عنه في "
            "كل مكان. ابني ليس رقما، ابني مفقود وله أم تنتظره.",
            "رقم هاتفي عند الجمعية فقط. أعطيت عينة الحمض النووي للجنة الدولية للصليب الأحمر.",
        ),
    ),
)


def _campaign_led_by(world: DemoWorld, slug: str) -> Campaign | None:
    """The demo caravan led by this organisation, if the campaigns were seeded."""
    return db.session.scalar(
        select(Campaign)
        .where(Campaign.lead_organisation_id == world.orgs[slug].id)
        .order_by(Campaign.starts_on)
        .limit(1)
    )


def seed_library(world: DemoWorld) -> None:
    """Add the demo documents as their organisations' people would, then read them all."""
    for doc in DOCUMENTS:
        details = services.Details(
            title=doc.title,
            description=doc.description,
            language=doc.language,
            tags=list(doc.tags),
            visibility=doc.visibility,
            campaign=_campaign_led_by(world, doc.campaign_of) if doc.campaign_of else None,
        )
        services.add_document(
            world.users[doc.user],
            world.orgs[doc.org],
            io.BytesIO(file_bytes(doc)),
            doc.filename,
            details,
        )
    worker.run_pending()  # the text is read now, so the demo is searchable at once
