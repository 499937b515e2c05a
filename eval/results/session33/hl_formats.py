import json, sys
from pathlib import Path
from ragqa import wiring
from ragqa.settings import load_settings
from ragqa.eval.formats_eval import read_articles, sample, map_questions
from ragqa.eval.highlights import measure_service
squad = Path('/work/main/.ragqa/longdocs/longdocs-v1.json')
arts, qs = read_articles(squad)
arts, qs = sample(arts, qs, 'dev', None, 600, 0)
out = {}
model = embedder = None
for root in sys.argv[2:]:
    folder = Path(root) / 'longdocs-v1-dev-93' / sys.argv[1]
    st = wiring.start(load_settings(corpus_dir=folder/'corpus', index_dir=folder/'index'), update=False, model=model, embedder=embedder)
    eng = st.engine; model, embedder = eng.model, eng.embedder
    texts = {d: r.text for d, r in eng.index.documents_by_id().items()}
    mapped = map_questions(arts, qs, sys.argv[1], texts)
    out[root] = measure_service(eng, mapped.questions)
    print(root, json.dumps(out[root]), flush=True)
    eng.store.close()
