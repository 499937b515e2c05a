"""A .docx reads as Word shows it: words in tracked insertions, content controls, fields and
other inline wrappers kept, deletions and field codes left out; nested tables, merged and
irregular table rows, blocks in content controls."""

from __future__ import annotations

import docx
from docx.oxml import parse_xml
from ragqa.index.documents.loaders import load_document

from tests.index.documents.structured import assert_plain, passages

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CHANGE = 'w:author="RH" w:date="2026-01-01T00:00:00Z"'


def r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def p(*inline: str) -> str:
    return f"<w:p>{''.join(inline)}</w:p>"


def tc(content: str, properties: str = "") -> str:
    return f"<w:tc><w:tcPr>{properties}</w:tcPr>{content}</w:tc>"


def tbl(columns: int, *rows: str) -> str:
    grid = "".join('<w:gridCol w:w="2000"/>' for _ in range(columns))
    return f"<w:tbl><w:tblPr/><w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"


def sdt(content: str, properties: str = '<w:alias w:val="Champ"/>') -> str:
    return f"<w:sdt><w:sdtPr>{properties}</w:sdtPr><w:sdtContent>{content}</w:sdtContent></w:sdt>"


def save(path, *blocks: str, heading: str = "Procédure") -> None:
    """A document of a heading then ``blocks`` (raw body XML, in the w: namespace)."""
    document = docx.Document()
    document.add_heading(heading, 1)
    body = document.element.body
    for xml in blocks:  # each opens with an attribute-less tag: <w:p>, <w:tbl>, <w:sdt>
        element = parse_xml(xml.replace(">", f" {W}>", 1))
        body.insert(len(body) - 1, element)  # before the section properties
    document.add_paragraph("Fin du document.")
    document.save(path)


def load(tmp_path, *blocks: str, heading: str = "Procédure"):
    path = tmp_path / "doc.docx"
    save(path, *blocks, heading=heading)
    doc = load_document(path, "doc.docx")
    assert_plain(doc)
    passages(doc)  # exact slices of the text, inside their sections
    return doc


def lines(doc) -> list[str]:
    return [line for line in doc.text.split("\n") if line]


def test_inline_wrappers_keep_their_words_and_deletions_are_left_out(tmp_path):
    doc = load(
        tmp_path,
        p(r("Le délai de prévenance est de "),
          f'<w:ins w:id="1" {CHANGE}>{r("quinze jours")}</w:ins>',
          f'<w:del w:id="2" {CHANGE}><w:r><w:delText>huit jours</w:delText></w:r></w:del>',
          r(" ouvrés.")),
        p(r("Responsable : "), sdt(r("Mme Durand")), r(", service RH.")),
        p(r("Adresse : "), f'<w:smartTag w:element="address">{r("12 rue de la Paix")}'
          "</w:smartTag>", r(" à Paris.")),
        p(r("Voir le portail "), f'<w:fldSimple w:instr=" HYPERLINK &quot;x&quot; ">'
          f'{r("Intranet RH")}</w:fldSimple>', r(" pour le formulaire.")),
        p(r("Montant : "), f'<w:customXml w:element="m">{r("1 200 euros")}</w:customXml>',
          r(".")),
        p(r("Le formulaire est "),
          f'<w:moveFrom w:id="3" {CHANGE}>{r("validé puis ")}</w:moveFrom>',
          f'<w:moveTo w:id="4" {CHANGE}>{r("signé par le manager")}</w:moveTo>', r(".")),
        p(r("Traduction : "), f'<w:dir w:val="rtl">{r("إجازة سنوية")}</w:dir>',
          f'<w:bdo w:val="rtl">{r(" (congé)")}</w:bdo>', r(".")),
        # A complex field: its code (instrText) is not shown, its result is.
        p(r("Page "), '<w:r><w:fldChar w:fldCharType="begin"/></w:r>',
          '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>',
          '<w:r><w:fldChar w:fldCharType="separate"/></w:r>', r("3"),
          '<w:r><w:fldChar w:fldCharType="end"/></w:r>', r(" du guide.")),
        p("<w:r><w:t>Arrêt</w:t><w:noBreakHyphen/><w:t>maladie</w:t><w:softHyphen/>"
          "<w:t>s</w:t><w:tab/><w:t>prolongés.</w:t></w:r>"),
    )
    assert lines(doc)[1:-1] == [
        "Le délai de prévenance est de quinze jours ouvrés.",
        "Responsable : Mme Durand, service RH.",
        "Adresse : 12 rue de la Paix à Paris.",
        "Voir le portail Intranet RH pour le formulaire.",
        "Montant : 1 200 euros.",
        "Le formulaire est signé par le manager.",
        "Traduction : إجازة سنوية (congé).",
        "Page 3 du guide.",
        "Arrêt-maladies\tprolongés.",
    ]
    assert "huit jours" not in doc.text and "PAGE" not in doc.text


def test_a_heading_and_a_list_item_keep_their_inserted_words(tmp_path):
    heading = ('<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr>'
               f'{r("Congés ")}<w:ins w:id="1" {CHANGE}>{r("payés")}</w:ins></w:p>')
    item = ('<w:p><w:pPr><w:pStyle w:val="ListBullet"/></w:pPr>'
            f'{r("Demande ")}{sdt(r("écrite"))}</w:p>')
    doc = load(tmp_path, heading, item)
    assert [h.path for h in doc.headings] == [("Procédure",), ("Procédure", "Congés payés")]
    assert "Congés payés\n\nDemande écrite\n\nFin du document." in doc.text


def test_a_table_in_a_cell_keeps_its_text_in_order(tmp_path):
    inner = tbl(2, f"<w:tr>{tc(p(r('Lyon')))}{tc(p(r('Part-Dieu, bâtiment B')))}</w:tr>",
                f"<w:tr>{tc(p(r('Nantes')))}{tc(p(r('Île de Nantes')))}</w:tr>")
    outer = tbl(2, f"<w:tr>{tc(p(r('Sites')))}{tc(p(r('Adresses :')) + inner)}</w:tr>")
    doc = load(tmp_path, outer)
    assert ("Sites : Adresses : Lyon : Part-Dieu, bâtiment B ; Nantes : Île de Nantes"
            in doc.text)


def test_merged_cells_and_irregular_rows_meet_their_column_headers(tmp_path):
    document = docx.Document()
    document.add_heading("Annuaire", 1)
    table = document.add_table(rows=3, cols=3)
    for i, name in enumerate(["Service", "Contact", "Téléphone"]):
        table.rows[0].cells[i].text = name
    for i, value in enumerate(["Paie", "M. Martin", "01 23 45 67 89"]):
        table.rows[1].cells[i].text = value
    table.rows[2].cells[0].merge(table.rows[2].cells[1]).text = "Accueil général"
    table.rows[2].cells[2].text = "01 00 00 00 00"
    regions = document.add_table(rows=3, cols=2)
    regions.rows[0].cells[0].text, regions.rows[0].cells[1].text = "Région", "Ville"
    regions.rows[1].cells[0].merge(regions.rows[2].cells[0]).text = "Bretagne"
    regions.rows[1].cells[1].text, regions.rows[2].cells[1].text = "Rennes", "Brest"
    path = tmp_path / "annuaire.docx"
    document.save(path)
    doc = load_document(path, "annuaire.docx")
    assert "Service : Accueil général ; Téléphone : 01 00 00 00 00" in doc.text
    assert "Bretagne : Rennes\nBretagne : Brest" in doc.text  # each row stands alone

    # A row that starts late (gridBefore), one that ends early (gridAfter).
    sites = tbl(3, f"<w:tr>{tc(p(r('Site')))}{tc(p(r('Ville')))}{tc(p(r('Effectif')))}</w:tr>",
                '<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>'
                f"{tc(p(r('Lyon')))}{tc(p(r('120')))}</w:tr>",
                '<w:tr><w:trPr><w:gridAfter w:val="1"/></w:trPr>'
                f"{tc(p(r('Siège')))}{tc(p(r('Paris')))}</w:tr>")
    doc = load(tmp_path, sites)
    assert "Ville : Lyon ; Effectif : 120\nSite : Siège ; Ville : Paris" in doc.text


def test_a_merged_cell_with_nothing_above_reads_as_an_ordinary_cell(tmp_path):
    """python-docx raises "no tr above topmost tr": the file was refused as corrupt."""
    merged = "<w:vMerge/>"
    doc = load(tmp_path, tbl(2, f"<w:tr>{tc(p(r('Lundi')), merged)}{tc(p(r('Réunion')))}</w:tr>",
                             f"<w:tr>{tc(p(), merged)}{tc(p(r('Formation')))}</w:tr>"))
    assert "Lundi : Réunion\nLundi : Formation" in doc.text


def test_blocks_in_content_controls_are_read_a_cover_page_and_placeholders_are_not(tmp_path):
    cover = sdt(p(r("Page de garde")) + p(r("Auteur : service RH")),
                '<w:docPartObj><w:docPartGallery w:val="Cover Pages"/>'
                "<w:docPartUnique/></w:docPartObj>")
    missions = sdt(p(r("Missions : gérer la paie de 300 salariés.")) +
                   p(r("Rattachement : direction financière.")))
    prompt = sdt(p(r("Cliquez ici pour entrer du texte.")), "<w:showingPlcHdr/>")
    form = tbl(2, f"<w:tr>{tc(p(r('Poste')))}{tc(sdt(p(r('Gestionnaire de paie'))))}</w:tr>",
               f"<w:tr>{tc(p(r('Lieu')))}{tc(prompt)}</w:tr>")
    boxed = sdt(tbl(2, f"<w:tr>{tc(p(r('Statut')))}{tc(p(r('Cadre')))}</w:tr>"))
    doc = load(tmp_path, cover, missions, form, boxed, heading="Fiche de poste")
    assert lines(doc) == [
        "Fiche de poste",
        "Missions : gérer la paie de 300 salariés.",
        "Rattachement : direction financière.",
        "Poste : Gestionnaire de paie",
        "Lieu",
        "Statut : Cadre",
        "Fin du document.",
    ]


NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
      "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
      "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
      "v": "urn:schemas-microsoft-com:vml"}


def text_box(*paragraphs: str) -> str:
    """A run holding a text box as Word writes it: the shape, and its VML copy for older
    readers (the same paragraphs twice)."""
    content = f"<w:txbxContent>{''.join(p(r(t)) for t in paragraphs)}</w:txbxContent>"
    return (f'<w:r><mc:AlternateContent xmlns:mc="{NS["mc"]}"><mc:Choice Requires="wps">'
            f'<w:drawing><wps:wsp xmlns:wps="{NS["wps"]}"><wps:txbx>{content}</wps:txbx>'
            f'</wps:wsp></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape xmlns:v="'
            f'{NS["v"]}"><v:textbox>{content}</v:textbox></v:shape></w:pict></mc:Fallback>'
            "</mc:AlternateContent></w:r>")


def with_notes(path, kind: str, notes: dict[int, str]) -> None:
    """Add a footnotes or endnotes part holding ``notes`` (with Word's separators) to the
    .docx at ``path``."""
    import zipfile

    tag = f"{kind}s"
    body = "".join(f'<w:{kind} w:id="{n}"><w:p>{r(text)}</w:p></w:{kind}>'
                   for n, text in notes.items())
    part = (f'<w:{tag} xmlns:w="{NS["w"]}"><w:{kind} w:type="separator" w:id="-1"><w:p><w:r>'
            f"<w:separator/></w:r></w:p></w:{kind}>{body}</w:{tag}>")
    files = {}
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            files[name] = package.read(name)
    files[f"word/{tag}.xml"] = part.encode()
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        b"</Types>", f'<Override PartName="/word/{tag}.xml" ContentType="application/vnd.'
        f'openxmlformats-officedocument.wordprocessingml.{tag}+xml"/></Types>'.encode())
    rels = "word/_rels/document.xml.rels"
    files[rels] = files[rels].replace(
        b"</Relationships>", f'<Relationship Id="rId{kind}" Type="http://schemas.openxmlformats'
        f'.org/officeDocument/2006/relationships/{tag}" Target="{tag}.xml"/></Relationships>'
        .encode())
    with zipfile.ZipFile(path, "w") as package:
        for name, data in files.items():
            package.writestr(name, data)


def test_footnotes_endnotes_and_text_boxes_follow_their_paragraph(tmp_path):
    # They were left out: "signalez tout courriel suspect au 3615" in a text box, a note's
    # contact name, lost to every search.
    path = tmp_path / "doc.docx"
    note = '<w:r><w:footnoteReference w:id="{}"/></w:r>'
    save(path,
         tbl(1, f"<w:tr>{tc(p(r('Tarif : 12 euros'), note.format(4)))}</w:tr>"),
         p(r("Le mot de passe a 12 caractères."), note.format(1), r(" Il change tous les ans."),
           note.format(1)),
         p(r("Le prêt dure cinq jours."), '<w:r><w:endnoteReference w:id="1"/></w:r>',
           f'<w:del {CHANGE} w:id="9"><w:r><w:footnoteReference w:id="2"/></w:r></w:del>'),
         p(text_box("Important : signalez tout courriel suspect au 3615.", "Merci.")),
         p(r("Le poste se verrouille."), note.format(3)))
    with_notes(path, "footnote", {1: "Recommandation de l'ANSSI, mesure 10.",
                                  2: "Une note supprimée.", 3: "Touches Windows + L.",
                                  4: "Tarif réduit pour Karim Benali."})
    with_notes(path, "endnote", {1: "Au-delà, demandez à Karim Benali."})
    doc = load_document(path, "doc.docx")
    assert_plain(doc)
    passages(doc)
    assert lines(doc) == [
        "Procédure", "Tarif : 12 euros",
        "[1] Tarif réduit pour Karim Benali.",  # a cell's note: after its table, counted
        "Le mot de passe a 12 caractères. Il change tous les ans.",
        "[2] Recommandation de l'ANSSI, mesure 10.",  # once, though cited twice
        "Le prêt dure cinq jours.", "[i] Au-delà, demandez à Karim Benali.",
        "Important : signalez tout courriel suspect au 3615.", "Merci.",  # once, not twice
        "Le poste se verrouille.", "[3] Touches Windows + L.", "Fin du document."]


def test_numbered_list_items_show_the_numbers_word_shows(tmp_path):
    # The steps lost their "1." to "4.": "la troisième étape" could not be found.
    document = docx.Document()
    document.add_heading("Clôture", 1)
    for step in ("Extraire le grand livre.", "Contrôler les comptes.", "Transmettre la liasse."):
        document.add_paragraph(step, style="List Number")
    document.add_paragraph("Une puce sans numéro.", style="List Bullet")
    # a list of its own, two levels, numbered by the paragraphs themselves (as Google Docs
    # exports them): "I." then "a)", "b)", the lower level restarting under "II."
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {W} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/>'
        '<w:lvlText w:val="%1."/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/>'
        '<w:lvlText w:val="%2)"/></w:lvl></w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {W} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for level, text in ((0, "Contexte"), (1, "Objet"), (1, "Portée"), (0, "Mesures"),
                        (1, "Calendrier")):
        paragraph = document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {W}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))
    document.add_paragraph("Fin du document.")
    path = tmp_path / "doc.docx"
    document.save(path)
    doc = load_document(path, "doc.docx")
    assert_plain(doc)
    passages(doc)
    assert lines(doc) == [
        "Clôture", "1. Extraire le grand livre.", "2. Contrôler les comptes.",
        "3. Transmettre la liasse.", "Une puce sans numéro.", "I. Contexte", "a) Objet",
        "b) Portée", "II. Mesures", "a) Calendrier", "Fin du document."]
