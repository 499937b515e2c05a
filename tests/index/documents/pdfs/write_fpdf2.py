"""Writes ``fpdf2-*.pdf`` here with fpdf2 (LGPL), a PDF writer ragqa does not depend on:
the files are kept, so that the tests read PDFs of a writer other than our own
(:mod:`ragqa.eval.pdfwriting`). Run once by hand, with fpdf2 importable::

    pip install --target /tmp/fpdf2 fpdf2
    PYTHONPATH=/tmp/fpdf2 python tests/index/documents/pdfs/write_fpdf2.py

``fpdf2-outline.pdf`` has bookmarks (fpdf2's ``start_section``), ``fpdf2-type.pdf`` the same
text without them: its headings are told by their type only (bold, larger).
"""

from pathlib import Path

from fpdf import FPDF

HERE = Path(__file__).parent
TITLE = "Plan de continuité d'activité de la Direction Régionale des Finances Publiques"
SECTIONS = [
    (1, "Objet du plan", [
        "le présent plan décrit comment les services essentiels de la direction sont "
        "maintenus lors d'une crise majeure : pandémie, panne informatique, inondation."]),
    (2, "Activités essentielles", [
        "Le paiement des dépenses de l'État, la tenue des comptes des collectivités et "
        "l'accueil du public sur rendez-vous sont les trois activités essentielles."]),
    (2, "Personnel mobilisé", [
        "chaque chef de service désigne les agents mobilisés et leurs suppléants. La liste "
        "est mise à jour chaque trimestre et transmise au secrétariat général."]),
    (1, "Déclenchement et fin du plan", [
        "Le directeur déclenche le plan sur proposition du comité de crise. Il en prononce "
        "la fin lorsque les activités ont repris normalement depuis cinq jours ouvrés."]),
]


def write(path: Path, outline: bool) -> None:
    pdf = FPDF(format="A4")
    pdf.set_creator("fpdf2")
    pdf.set_margins(25, 25)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.multi_cell(110, 10, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for number, (level, heading, paragraphs) in enumerate(SECTIONS):
        if number == 3:
            pdf.add_page()
        if outline:
            pdf.start_section(heading, level=level - 1)
        pdf.set_font("Helvetica", "B", 16 if level == 1 else 13)
        pdf.multi_cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for text in paragraphs:
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    pdf.output(str(path))


if __name__ == "__main__":
    write(HERE / "fpdf2-outline.pdf", outline=True)
    write(HERE / "fpdf2-type.pdf", outline=False)
