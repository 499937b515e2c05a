"""A sheet's header over two rows: when the row under the header is its second level, and
the names it gives the columns."""

from __future__ import annotations

from ragqa.index.documents.sheetheaders import two_level_header


def test_groups_over_their_columns_name_each_by_both():
    assert two_level_header(["Service", "Titulaires", "", "Contractuels", ""],
                            ["", "Hommes", "Femmes", "Hommes", "Femmes"]) == [
        "Service", "Titulaires Hommes", "Titulaires Femmes", "Contractuels Hommes",
        "Contractuels Femmes"]
    # "Service" merged down (read on both rows), a group's column without a sub-label,
    # years as sub-labels.
    assert two_level_header(["Service", "Effectifs", "", "", "Total"],
                            ["Service", "2024", "2025", "", "Total"]) == [
        "Service", "Effectifs 2024", "Effectifs 2025", "Effectifs", "Total"]
    # The key column's name in the lower row, left of the first group.
    assert two_level_header(["", "Titulaires", "", "Contractuels", ""],
                            ["Service", "Hommes", "Femmes", "Hommes", "Femmes"]) == [
        "Service", "Titulaires Hommes", "Titulaires Femmes", "Contractuels Hommes",
        "Contractuels Femmes"]


def test_a_header_over_its_data_stays_one_level():
    assert two_level_header(["Ville", "Visiteurs", "Ouverture"],
                            ["Rabat", "45000", "12/03/2024"]) is None
    assert two_level_header(["Ville", "Statut", ""], ["Rabat", "ouvert", "rénové"]) is None
    # A group of two columns over words: first name and surname, not sub-labels.
    assert two_level_header(["Nom", "", "Fonction", ""],
                            ["Dupont", "Jean", "Directeur", "Finances"]) is None
    # Amounts under a group: a data row, its key column empty.
    assert two_level_header(["Poste", "Montant", ""], ["", "1200", "300"]) is None
    # A title block's line over the header.
    assert two_level_header(["Service", "Paie"], ["Nom", "Poste", "Bureau"]) is None
