import sys
from dataclasses import replace
from pathlib import Path
from ragqa import wiring
from ragqa.eval.squad import load_squad, materialise
from ragqa.settings import load_settings
from ragqa.eval.conversations import load_conversations, run_conversations, summarise
from ragqa.index.search.followup import FOLLOWUP
split = sys.argv[1]
documents, _ = load_squad(Path('../shared/benchmarks/piaf/piaf-v1.0.json'))
piaf_corpus = materialise(documents, Path(".ragqa/eval"))
engines = {"project": wiring.start(load_settings()).engine,
           "piaf": wiring.start(load_settings(corpus_dir=piaf_corpus, index_dir=piaf_corpus.parent / "index")).engine}
sets = {}
for corpus, engine in engines.items():
    texts = {d: r.text for d, r in engine.retriever.index.documents_by_id().items()}
    sets[corpus] = load_conversations(Path('eval/conversations.jsonl'), texts, corpus, split)
for rel in (False, True):
    for unk in ((rel,)):
        params = replace(FOLLOWUP, relative_specificity=rel, unknown_stands_alone=unk)
        cells = []
        for corpus, engine in engines.items():
            if not sets[corpus]:
                continue
            m = summarise(run_conversations(engine.retriever, sets[corpus], 10, params=params, conditions=("history", "switch")))
            cells.append(f"{corpus}: R@5 {m['history.recall@5']:.3f} MRR {m['history.mrr@10']:.3f} used {m.get('history_used')} switch {m['switch.recall@5']:.3f}/{m['switch.mrr@10']:.3f} alone {m['switch_alone.recall@5']:.3f}/{m['switch_alone.mrr@10']:.3f} switch_used {m['switch.history_used']}")
        print(f"relative={rel} unknown={unk} | " + " | ".join(cells), flush=True)
