/*!
 * <ragqa-chat>: ask questions about your documents, get answers proven with exact quotes.
 *
 * One script tag, no framework, no build step:
 *   <script src="http://host:8000/widget.js"></script>
 *   <ragqa-chat endpoint="http://host:8000" lang="fr"></ragqa-chat>
 *
 * Attributes: endpoint (default: where this script came from), lang (fr|en, default: the
 * page's language), title, placeholder, api-key (sent as `Authorization: Bearer`).
 *
 * Identity (RAGQA_AUTH=jwt): the page hands the reader's token to the widget, sent as
 * `Authorization: Bearer`: the `token` attribute, or, for tokens that expire, a callback
 *   el.getToken = async ({ refresh }) => (await keycloak.updateToken(30), keycloak.token);
 * called before each request (when it is set, only its answer is sent: never the attributes,
 * not even when it fails); after a 401 it is called once more with `refresh: true` and the
 * request sent again. The reader sees only the documents their groups may read: the server
 * filters, the widget shows what it gets. The conversation and the documents' texts are the
 * reader's: kept under their token's subject, and forgotten when another reader's token
 * (another `sub`, another key) comes.
 *
 * Conversation: each question is sent with the turns before it (`history`: questions, the
 * LLM's answers cut short, the documents each turn showed), so "Qui l'a signé ?" is searched
 * as what it means; the reply says what was searched ("Recherche : …") when that differs.
 * "Nouvelle conversation" forgets them.
 *
 * Safety: everything that comes from the server is inserted with textContent or text
 * nodes, never parsed as HTML, so a document containing <script> or <img onerror> shows
 * as text. Styles are a constructed stylesheet (adoptedStyleSheets), so the widget works
 * under a strict Content-Security-Policy without 'unsafe-inline'.
 */
(() => {
  'use strict';
  if (customElements.get('ragqa-chat')) return;

  // Captured now: document.currentScript is only set while this script first runs.
  const SCRIPT = document.currentScript;
  const DEFAULT_ENDPOINT = SCRIPT && SCRIPT.src ? new URL(SCRIPT.src, location.href).origin
    : location.origin;
  // The server's `reason_code`s after which the answer could not be written by the LLM:
  // the widget says so in the reader's language (the server's `reason` is English prose).
  const LLM_FAILED = new Set(['llm_unavailable', 'llm_timeout', 'llm_bad_response', 'llm_error']);
  const MAX_TURNS = 30;         // kept in sessionStorage
  const EXCERPT = 220;          // characters of quote shown around the highlighted sentence
  const CONTEXT = 700;          // characters of document shown around a quote in context
  const MAX_QUESTION = 2000;    // the API's limit
  const TIMEOUT_MS = 120000;    // a non-streamed answer that takes longer is given up
  // The conversation sent with a question: the API's bounds (10 turns, 24,000 characters),
  // with room to spare; an answer is cut, a turn shows its first documents only.
  const HISTORY_TURNS = 10;
  const HISTORY_CHARS = 20000;
  const HISTORY_ANSWER = 1500;
  const HISTORY_DOCS = 5;

  /** Who a credential is for: a JWT's issuer and subject (a refreshed token is the same
   * reader), else the credential itself; '' without one. Read, not verified: the server
   * verifies; this only keeps one reader's conversation from another's. */
  function readerOf(value) {
    if (!value) return '';
    const text = String(value).trim();
    const parts = text.split('.');
    if (parts.length === 3) {
      try {
        const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
        const claims = JSON.parse(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '=')));
        if (claims && claims.sub) return `jwt:${claims.iss || ''}:${claims.sub}`;
      } catch (_) { /* not a JWT: the credential itself */ }
    }
    return `key:${text}`;
  }

  /** A short digest of `text` for a storage key (two FNV-1a 32-bit hashes): no credential
   * is written into the storage's key names. Not a secret, only a name. */
  function digest(text) {
    let a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
  }

  const STRINGS = {
    fr: {
      title: 'Assistant documentaire', placeholder: 'Posez votre question…',
      question: 'Votre question', send: 'Envoyer', conversation: 'Conversation',
      hint: 'Entrée pour envoyer · Maj+Entrée pour aller à la ligne',
      hintBusy: 'Échap pour annuler la question en cours',
      tooLong: (n) => `Une question compte au plus ${n} caractères : la suite n’a pas été gardée.`,
      atLimit: (n) => `Une question compte au plus ${n} caractères.`,
      confirmNewChat: 'Effacer la conversation ?',
      found: (n) => (n === 1 ? '1 passage trouvé.' : `${n} passages trouvés.`),
      errCancelled: 'Question annulée.',
      emptyTitle: 'Posez une question sur vos documents.',
      emptyBody: 'Chaque réponse cite mot pour mot les passages qui la prouvent.',
      searching: 'Recherche dans les documents…', writing: 'Rédaction de la réponse…',
      you: 'Vous', answer: 'Réponse',
      passagesLead: 'Voici les passages qui répondent le mieux à votre question :',
      sources: 'Sources',
      lowRelevance: 'Je n’ai rien trouvé qui réponde clairement à cette question. Voici les '
        + 'passages les plus proches : vérifiez-les avant de vous y fier.',
      noPassages: 'Aucun passage des documents ne correspond à cette question.',
      closest: 'Passages les plus proches',
      llmFailed: 'La réponse n’a pas pu être rédigée pour le moment. Voici les passages qui '
        + 'répondent le mieux à votre question :',
      notGrounded: 'Cette réponse ne cite aucun passage : vérifiez-la avant de vous y fier.',
      showContext: 'Voir dans le contexte', hideContext: 'Masquer le contexte',
      fullPassage: 'Passage complet', shortPassage: 'Réduire le passage',
      loading: 'Chargement du document…', contextError: 'Le document n’a pas pu être chargé.',
      changed: 'Le document a changé depuis cette réponse : la citation n’est plus à cet endroit.',
      contextOf: (t) => `Contexte dans « ${t} »`, page: (n) => `p. ${n}`,
      source: (n, t) => `Source ${n} : ${t}`, passage: (n, t) => `Passage ${n} : ${t}`,
      copy: 'Copier la réponse et ses sources', copied: 'Copié dans le presse-papiers',
      copyFailed: 'La copie a échoué', newChat: 'Nouvelle conversation', retry: 'Réessayer',
      errNetwork: 'Le service de réponses est injoignable pour le moment. Vérifiez votre '
        + 'connexion, puis réessayez dans un instant.',
      errAuth: 'Accès refusé : ce service demande une clé d’accès valide. Contactez '
        + 'l’administrateur du site.',
      errBusy: 'Le service est très sollicité. Réessayez dans un instant.',
      errServer: 'Le service a rencontré un problème. Réessayez dans un instant.',
      errRequest: 'Cette question n’a pas pu être traitée.',
      errStream: 'La réponse n’a pas pu être rédigée jusqu’au bout ; les passages trouvés '
        + 'sont affichés ci-dessous.',
      errTimeout: 'La réponse tarde trop. Réessayez dans un instant.',
      copyQuestion: 'Question', copySources: 'Sources', colon: '\u00a0: ', quote: (q) => `«\u00a0${q}\u00a0»`,
      searchedFor: (q) => `Recherche\u00a0: ${q}`,
    },
    en: {
      title: 'Document assistant', placeholder: 'Ask a question…',
      question: 'Your question', send: 'Send', conversation: 'Conversation',
      hint: 'Enter to send · Shift+Enter for a new line',
      hintBusy: 'Escape to cancel the question being asked',
      tooLong: (n) => `A question holds at most ${n} characters: the rest was not kept.`,
      atLimit: (n) => `A question holds at most ${n} characters.`,
      confirmNewChat: 'Clear the conversation?',
      found: (n) => (n === 1 ? '1 passage found.' : `${n} passages found.`),
      errCancelled: 'Question cancelled.',
      emptyTitle: 'Ask a question about your documents.',
      emptyBody: 'Every answer quotes, word for word, the passages that prove it.',
      searching: 'Searching the documents…', writing: 'Writing the answer…',
      you: 'You', answer: 'Answer',
      passagesLead: 'These passages answer your question best:',
      sources: 'Sources',
      lowRelevance: 'I found nothing that clearly answers this question. Here are the closest '
        + 'passages: check them before relying on them.',
      noPassages: 'No passage of the documents matches this question.',
      closest: 'Closest passages',
      llmFailed: 'The answer could not be written right now. These passages answer your '
        + 'question best:',
      notGrounded: 'This answer cites no passage: check it before relying on it.',
      showContext: 'Show in context', hideContext: 'Hide context',
      fullPassage: 'Full passage', shortPassage: 'Shorter passage',
      loading: 'Loading the document…', contextError: 'The document could not be loaded.',
      changed: 'The document has changed since this answer: the quote is no longer there.',
      contextOf: (t) => `Context in “${t}”`, page: (n) => `p. ${n}`,
      source: (n, t) => `Source ${n}: ${t}`, passage: (n, t) => `Passage ${n}: ${t}`,
      copy: 'Copy the answer and its sources', copied: 'Copied to the clipboard',
      copyFailed: 'Copying failed', newChat: 'New conversation', retry: 'Try again',
      errNetwork: 'The answer service can’t be reached right now. Check your connection, '
        + 'then try again in a moment.',
      errAuth: 'Access denied: this service needs a valid access key. Please contact the '
        + 'site’s administrator.',
      errBusy: 'The service is very busy. Please try again in a moment.',
      errServer: 'The service ran into a problem. Please try again in a moment.',
      errRequest: 'This question could not be processed.',
      errStream: 'The answer could not be finished; the passages found are shown below.',
      errTimeout: 'The answer is taking too long. Please try again in a moment.',
      copyQuestion: 'Question', copySources: 'Sources', colon: ': ', quote: (q) => `“${q}”`,
      searchedFor: (q) => `Searched for: ${q}`,
    },
  };

  const CSS = `
:host { display: block; height: 620px; min-height: 360px; min-width: 0;
  --ragqa-accent: #2456d6; --ragqa-accent-soft: #e8eefc; --ragqa-ink: #1d2433;
  --ragqa-muted: #5b6475; --ragqa-line: #e3e6ec; --ragqa-bg: #ffffff; --ragqa-panel: #f7f8fa;
  --ragqa-mark: #ffe58a; color: var(--ragqa-ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: border-box; }
button { font: inherit; color: inherit; }
.shell { display: flex; flex-direction: column; height: 100%; background: var(--ragqa-bg);
  border: 1px solid var(--ragqa-line); border-radius: 14px; overflow: hidden;
  box-shadow: 0 1px 2px rgba(16,24,40,.05), 0 8px 24px rgba(16,24,40,.06); }
.head { display: flex; align-items: center; gap: 10px; padding: 12px 14px 12px 16px;
  border-bottom: 1px solid var(--ragqa-line); }
.logo { flex: none; width: 28px; height: 28px; border-radius: 8px; display: grid;
  place-items: center; background: var(--ragqa-accent); color: #fff; }
.title { flex: 1; min-width: 0; margin: 0; font-size: 1rem; font-weight: 650;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ghost { flex: none; display: inline-flex; align-items: center; gap: 6px; border: 1px solid
  var(--ragqa-line); background: var(--ragqa-bg); border-radius: 8px; padding: 5px 10px;
  font-size: .85rem; color: var(--ragqa-muted); cursor: pointer; }
.ghost:hover { color: var(--ragqa-ink); background: var(--ragqa-panel); }
.log { flex: 1; min-height: 0; overflow-y: auto; overflow-x: hidden; padding: 16px;
  display: flex; flex-direction: column; gap: 18px; overscroll-behavior: contain; }
.empty { margin: auto; text-align: center; color: var(--ragqa-muted); max-width: 30em; }
.empty strong { display: block; color: var(--ragqa-ink); font-size: 1.05rem; margin-bottom: 4px; }
.turn { display: flex; flex-direction: column; gap: 10px; }
.ask { align-self: flex-end; max-width: 88%; margin: 0; padding: 8px 14px;
  background: var(--ragqa-accent); color: #fff; border-radius: 16px 16px 4px 16px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.reply { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.status { display: flex; align-items: center; gap: 10px; color: var(--ragqa-muted); margin: 0; }
.dots { display: inline-flex; gap: 4px; }
.dots i { width: 6px; height: 6px; border-radius: 50%; background: var(--ragqa-accent);
  animation: blink 1.2s infinite ease-in-out both; }
.dots i:nth-child(2) { animation-delay: .2s; } .dots i:nth-child(3) { animation-delay: .4s; }
@keyframes blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
.text { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.lead { margin: 0; font-weight: 600; }
.muted { margin: 0; color: var(--ragqa-muted); font-size: .88rem; }
.searched { margin: 0; color: var(--ragqa-muted); font-size: .85rem; font-style: italic;
  overflow-wrap: anywhere; }
.notice, .error { margin: 0; padding: 10px 12px; border-radius: 10px; overflow-wrap: anywhere; }
.notice { background: #fff6e5; border: 1px solid #f5d58c; }
.error { background: #fdeeee; border: 1px solid #f1b7b7; display: flex; flex-wrap: wrap;
  align-items: center; gap: 8px 12px; }
.error p { margin: 0; flex: 1 1 14em; }
.cite { border: 0; border-radius: 5px; padding: 0 5px; margin: 0 1px; font-size: .78em;
  font-weight: 650; vertical-align: .25em; line-height: 1.5; background: var(--ragqa-accent-soft);
  color: var(--ragqa-accent); cursor: pointer; }
.cite[aria-expanded="true"] { background: var(--ragqa-accent); color: #fff; }
.proof:empty { display: none; }
.proof, .cards { display: flex; flex-direction: column; gap: 10px; margin: 0; padding: 0;
  list-style: none; }
.card { border: 1px solid var(--ragqa-line); border-radius: 12px; background: var(--ragqa-panel);
  padding: 10px 12px; min-width: 0; }
.card-head { display: flex; gap: 10px; align-items: flex-start; }
.rank { flex: none; min-width: 24px; height: 24px; padding: 0 6px; border-radius: 12px;
  display: grid; place-items: center; font-size: .8rem; font-weight: 700;
  background: var(--ragqa-accent-soft); color: var(--ragqa-accent); }
.doc { min-width: 0; overflow-wrap: anywhere; }
.doc-title { font-weight: 600; line-height: 1.35; }
.section { color: var(--ragqa-muted); font-size: .85rem; line-height: 1.35; margin-top: 2px; }
.quote { margin: 8px 0 0; padding: 2px 0 2px 12px; border-left: 3px solid var(--ragqa-line);
  white-space: pre-line; overflow-wrap: anywhere; color: #394152; }
mark { background: var(--ragqa-mark); color: inherit; border-radius: 3px; padding: 0 1px; }
.card-actions { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 6px; }
.link { border: 0; background: none; padding: 2px 0; color: var(--ragqa-accent); cursor: pointer;
  font-size: .88rem; font-weight: 550; }
.link:hover { text-decoration: underline; }
.context { margin-top: 8px; border: 1px solid var(--ragqa-line); background: var(--ragqa-bg);
  border-radius: 10px; padding: 8px 10px; }
.context-label { margin: 0 0 4px; font-size: .8rem; color: var(--ragqa-muted); overflow-wrap: anywhere; }
.context-text { max-height: 16em; overflow-y: auto; white-space: pre-wrap; overflow-wrap: anywhere;
  font-size: .92rem; color: #394152; }
.context-text .in-quote { background: var(--ragqa-accent-soft); border-radius: 3px; }
.context-text mark { font-weight: 600; }
.actions { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.actions .done { font-size: .85rem; color: var(--ragqa-muted); }
.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px 4px;
  border-top: 1px solid var(--ragqa-line); }
textarea { flex: 1; min-width: 0; resize: none; font: inherit; color: inherit; line-height: 1.4;
  max-height: 9em; padding: 9px 12px; border: 1px solid #8a93a3; border-radius: 10px;
  background: var(--ragqa-bg); }
.send { flex: none; width: 42px; height: 42px; display: grid; place-items: center; border: 0;
  border-radius: 10px; background: var(--ragqa-accent); color: #fff; cursor: pointer; }
.send:disabled { opacity: .55; cursor: default; }
.foot { margin: 0; padding: 0 14px 8px; font-size: .75rem; color: var(--ragqa-muted); }
.foot.warn { color: #a03a00; }
:focus { outline: none; }
:focus-visible, textarea:focus { outline: 2px solid var(--ragqa-accent); outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
@media (max-width: 420px) { .log { padding: 12px; } .ask { max-width: 94%; }
  .foot { display: none; } .foot.warn { display: block; } .ghost .label { display: none; }
  .ghost.confirm .label { display: inline; } }
@media (prefers-reduced-motion: reduce) { .dots i { animation: none; opacity: .7; } }
`;

  let sheet = null;  // one constructed stylesheet shared by every instance
  function styleShadow(root) {
    if ('adoptedStyleSheets' in Document.prototype && 'replaceSync' in CSSStyleSheet.prototype) {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
      root.adoptedStyleSheets = [sheet];
    } else {  // older browsers; needs style-src to allow it
      const style = document.createElement('style');
      style.textContent = CSS;
      root.append(style);
    }
  }

  /** A DOM element. `text` and children are inserted as text, never parsed as HTML. */
  function h(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  const ICONS = {
    send: 'M3.4 20.4 21 12 3.4 3.6 3.4 10.2 15 12 3.4 13.8z',
    copy: 'M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z',
    reset: 'M12 5V1L7 6l5 5V7a6 6 0 1 1-6 6H4a8 8 0 1 0 8-8z',
    logo: 'M4 5h16v11H8l-4 4zM8 9h8v2H8zm0 3h5v2H8z',
  };
  function icon(name, size = 18) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', size);
    svg.setAttribute('height', size);
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('fill', 'currentColor');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', ICONS[name]);
    svg.append(path);
    return svg;
  }

  class ApiFailure extends Error {
    constructor(kind, detail) { super(kind); this.kind = kind; this.detail = detail || ''; }
  }

  /** Server events from a text/event-stream response, as {event, data} with data parsed. */
  async function* serverEvents(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const parse = (block) => {
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      return data.length ? { event, data: JSON.parse(data.join('\n')) } : null;
    };
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // A lone \r at the end may be the first half of \r\n: keep it for the next chunk.
      const keep = !done && buffer.endsWith('\r') ? 1 : 0;
      let text = buffer.slice(0, buffer.length - keep).replace(/\r\n?/g, '\n');
      buffer = buffer.slice(buffer.length - keep);
      let cut;
      while ((cut = text.indexOf('\n\n')) >= 0) {
        const item = parse(text.slice(0, cut));
        text = text.slice(cut + 2);
        if (item) yield item;
      }
      buffer = text + buffer;
      if (done) {
        const item = buffer.trim() ? parse(buffer) : null;
        if (item) yield item;
        return;
      }
    }
  }

  // The section line of a card, or null when it would only repeat the document title (a
  // one-section document, or text before the first heading, is titled with the document).
  function sectionOf(passage) {
    const section = String(passage.section || '').trim();
    return section && section !== String(passage.title || '').trim() ? section : null;
  }

  // The characters read as spaces, and those read as nothing (control characters, a tab
  // and line ends aside, a soft hyphen, the zero-width ones, U+FEFF), spelt out as
  // service/headings.py spells them: `\s` and trim() are not Python's (U+FEFF is a space
  // here, U+001F one there).
  const SPACES = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
  const INVISIBLE = '\\u0000-\\u0008\\u000e-\\u001f\\u007f-\\u009f\\u00ad\\u200b-\\u200f\\u2060\\ufeff';
  const INVISIBLE_RE = new RegExp(`[${INVISIBLE}]+`, 'g');
  const BLANK_RE = new RegExp(`^[${SPACES}${INVISIBLE}]*$`);
  const SPACES_RE = new RegExp(`[${SPACES}]+`, 'g');
  const EDGE_SPACES_RE = new RegExp(`^[${SPACES}]+|[${SPACES}]+$`, 'g');
  const CLOSING_COLON_RE = new RegExp(`[${SPACES}]*:$`);

  /** A heading line as a reader compares it (service/headings.py's heading_key): as
   *  written, an outline number kept ("2. Menus" is not "Menus"), without markdown's marks
   *  (`## `, `**`), a closing colon or what is invisible, spaces and case aside (upper
   *  then lower case: "Straße" is "STRASSE", as Python's upper().lower() has it). */
  function headingKey(line) {
    return String(line).replace(INVISIBLE_RE, '').normalize('NFC')
      .replace(/^ {0,3}#{1,6}[ \t]+/, '').replace(/[ \t]+#+[ \t]*$/, '').replace(/[*_`]+/g, '')
      .replace(EDGE_SPACES_RE, '').replace(CLOSING_COLON_RE, '').replace(SPACES_RE, ' ')
      .toUpperCase().toLowerCase();
  }

  // Lines a heading may be wrapped over in a quote (service/headings.py's MAX_WRAPPED_LINES).
  const MAX_WRAPPED_LINES = 4;

  /** Where a card's quote starts to be shown: after its first lines when they only repeat
   *  what the card's head shows (a passage's text starts with its section's heading line,
   *  "Conditions à remplir" under "Guide › Conditions à remplir", and the headings above
   *  it; a setext heading's underline with it; a heading wrapped over consecutive lines,
   *  none blank, that the section joins, whole, never a part of a line). 0 when nothing
   *  else would be left, or when one of `spans` (the marked sentence, the answer; relative
   *  to the quote) starts there: the quote shown is then quote.slice(at), still the
   *  document's text[start + at:end]. service/headings.py's shown_from, line for line. */
  function headingEnd(passage, ...spans) {
    const quote = String(passage.quote || '');
    const names = new Set([passage.title, ...String(passage.section || '').split(' › ')]
      .map(headingKey).filter(Boolean));
    let at = 0;
    let heading = false;  // the line before was a heading left out
    for (;;) {
      const cut = quote.indexOf('\n', at);
      const line = quote.slice(at, cut < 0 ? quote.length : cut);
      if (BLANK_RE.test(line) || (heading && /^ {0,3}(?:=+|-{2,})[ \t]*$/.test(line))) {
        if (cut < 0) return 0;  // nothing but headings: the quote is shown whole
        heading = false;
        at = cut + 1;
        continue;
      }
      const end = wrappedHeadingEnd(quote, at, names);
      if (end === null) break;
      if (end === quote.length) return 0;
      heading = true;
      at = end + 1;
    }
    return spans.some((s) => s && s.start < at) ? 0 : at;
  }

  /** Where the longest run of lines from `at` (up to MAX_WRAPPED_LINES, none blank) that
   *  says one of `names` whole ends (its last line's end), or null. */
  function wrappedHeadingEnd(quote, at, names) {
    let found = null;
    let start = at;
    for (let n = 0; n < MAX_WRAPPED_LINES; n += 1) {
      const cut = quote.indexOf('\n', start);
      const end = cut < 0 ? quote.length : cut;
      if (BLANK_RE.test(quote.slice(start, end))) break;
      if (names.has(headingKey(quote.slice(at, end)))) found = end;
      if (cut < 0) break;
      start = cut + 1;
    }
    return found;
  }

  /** Whether a reply says "nothing here answers" instead of showing an answer: ragqa's own
   *  abstention, the LLM's (`llm_abstained`), or low relevance, unless the search was
   *  borderline and the LLM wrote an answer (or is writing one). */
  function nothingAnswers(body, answer, text) {
    const code = body.reason_code || null;
    if (code === 'low_relevance' || code === 'llm_abstained') return true;
    return Boolean(body.low_relevance) && !(body.borderline && (text || (answer && answer.text)));
  }

  /** The highlighted span of a passage, relative to its quote (in the quote's UTF-16 indices),
   *  or null. The API's offsets count code points: an emoji before the sentence is one of
   *  them and two of a string's indices. */
  function relativeSpan(quote, base, span) {
    if (!span) return null;
    const start = span.start - base;
    const end = span.end - base;
    if (!/[\uD800-\uDBFF]/.test(quote)) {  // no astral character: the two counts agree
      return start >= 0 && end > start && end <= quote.length ? { start, end } : null;
    }
    const points = Array.from(quote);
    if (!(start >= 0 && end > start && end <= points.length)) return null;
    const units = (n) => points.slice(0, n).join('').length;
    return { start: units(start), end: units(end) };
  }

  /** What the server searched when it differs from the question (a follow-up the history
   *  changed, a typo or unaccented words read as the documents write them), or null. */
  function searchedQuery(body, question) {
    const retrieval = body && body.retrieval;
    if (!retrieval || typeof retrieval.query !== 'string') return null;
    const query = retrieval.query.trim();
    return query && query !== String(question || '').trim() ? query : null;
  }

  /** The documents a turn showed, best first: those its answer cites, else its passages'. */
  function citedDocuments(body, answer) {
    const ids = [];
    const add = (id) => { if (typeof id === 'string' && id && !ids.includes(id)) ids.push(id); };
    const citations = answer && Array.isArray(answer.citations) ? answer.citations : [];
    citations.forEach((c) => add(c && c.doc_id));
    if (!ids.length && body && Array.isArray(body.passages)) body.passages.forEach((p) => add(p && p.doc_id));
    return ids.slice(0, HISTORY_DOCS);
  }

  /** The answer object whatever its shape (a plain string in older servers). */
  function answerOf(body) {
    const answer = body && body.answer;
    if (!answer) return null;
    return typeof answer === 'string' ? { text: answer, citations: [] } : answer;
  }

  let uid = 0;

  class RagqaChat extends HTMLElement {
    static get observedAttributes() { return ['endpoint', 'lang', 'title', 'placeholder', 'api-key', 'token']; }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: 'open' });
      styleShadow(this._root);
      this._turns = [];
      this._texts = new Map();   // doc_id -> Promise<string>, for "show in context"
      this._busy = false;
      this._noStream = false;    // the server refused `stream`: ask without it from now on
      this._noHistory = false;   // the server refused `history` (an older one): the same
      this._controller = null;
      // `getToken` (async ({ refresh }) => token) is the page's own property: not set here,
      // so one given before this script upgraded the element is kept.
    }

    connectedCallback() {
      if (!this._shell) this._build();
      this._restore();
    }

    disconnectedCallback() { if (this._controller) this._controller.abort(); }

    attributeChangedCallback(name, before, after) {
      if (!this._shell || before === after) return;
      if (name === 'endpoint') { this._texts.clear(); this._restore(); }
      else if ((name === 'token' || name === 'api-key') && typeof this.getToken !== 'function') {
        this._noteReader(readerOf(this._attributeCredential()));  // perhaps another reader
      }
      else this._relabel();
    }

    get endpoint() {
      const value = (this.getAttribute('endpoint') || DEFAULT_ENDPOINT).trim();
      return value.replace(/\/+$/, '');
    }

    get _t() {
      const lang = this.getAttribute('lang')
        || (this.parentElement && this.parentElement.closest('[lang]') || {}).lang
        || document.documentElement.lang || navigator.language || 'en';
      return lang.toLowerCase().startsWith('fr') ? STRINGS.fr : STRINGS.en;
    }

    get _storageKey() {
      const reader = this._reader || '';
      return `ragqa-chat:${this.endpoint}` + (reader ? `:${digest(reader)}` : '');
    }

    // ---- layout -------------------------------------------------------------------------

    _build() {
      const id = `ragqa-${++uid}`;
      this._title = h('h2', { class: 'title', id: `${id}-title` });
      this._clear = h('button', { class: 'ghost', type: 'button', onclick: () => this._askReset() },
        icon('reset', 15), h('span', { class: 'label' }));
      this._clear.addEventListener('blur', () => this._unconfirm());
      // The log is read on demand, not aloud as it grows (a reply of five passages is
      // thousands of characters); what a reply says in short is announced instead.
      this._log = h('div', { class: 'log', role: 'log', 'aria-live': 'off',
        'aria-busy': 'false', 'aria-labelledby': `${id}-title`, tabindex: '0' });
      this._announcer = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
      this._input = h('textarea', { id: `${id}-q`, rows: '1', maxlength: String(MAX_QUESTION),
        enterkeyhint: 'send', autocomplete: 'off' });
      this._label = h('label', { class: 'sr-only', for: `${id}-q` });
      this._send = h('button', { class: 'send', type: 'submit' }, icon('send', 20));
      this._hint = h('p', { class: 'foot', id: `${id}-hint` });
      this._input.setAttribute('aria-describedby', `${id}-hint`);
      this._form = h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); this._submit(); } },
        this._label, this._input, this._send);
      this._input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this._submit(); }
      });
      this._input.addEventListener('input', () => { this._grow(); this._showHint(); });
      this._input.addEventListener('paste', (e) => {  // the box's maxlength cuts it silently
        const pasted = (e.clipboardData && e.clipboardData.getData('text')) || '';
        const box = this._input;
        const kept = box.value.length - (box.selectionEnd - box.selectionStart);
        this._cut = kept + pasted.length > MAX_QUESTION;
      });
      this._shell = h('section', { class: 'shell', 'aria-labelledby': `${id}-title` },
        h('header', { class: 'head' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, icon('logo', 17)),
          this._title, this._clear),
        this._log, this._form, this._hint, this._announcer);
      this._shell.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && this._busy && this._controller) {
          e.preventDefault();
          this._controller.cancelled = true;
          this._controller.abort();
        }
      });
      this._root.append(this._shell);
      this._relabel();
    }

    _relabel() {
      const t = this._t;
      this._title.textContent = this.getAttribute('title') || t.title;
      this._input.placeholder = this.getAttribute('placeholder') || t.placeholder;
      this._label.textContent = t.question;
      this._send.setAttribute('aria-label', t.send);
      this._send.title = t.send;
      this._unconfirm();
      this._showHint();
      this._render();
    }

    /** The line under the box: how to send, how to cancel while busy, or that a question
     * was cut at the API's limit. */
    _showHint() {
      const t = this._t;
      const full = this._input.value.length >= MAX_QUESTION;
      if (!full) this._cut = false;
      this._hint.textContent = this._cut ? t.tooLong(MAX_QUESTION) : full ? t.atLimit(MAX_QUESTION)
        : this._busy ? t.hintBusy : t.hint;
      this._hint.classList.toggle('warn', full);
    }

    _grow() {
      // CSSOM writes are allowed under a strict CSP (unlike style attributes in markup).
      this._input.style.height = 'auto';
      this._input.style.height = `${Math.min(this._input.scrollHeight + 2, 200)}px`;
    }

    _setBusy(busy) {
      this._busy = busy;
      this._log.setAttribute('aria-busy', String(busy));
      this._send.disabled = busy;
      this.toggleAttribute('busy', busy);
      this._showHint();
    }

    // ---- conversation state ---------------------------------------------------------------

    /** The turns kept for this endpoint and reader (the reader known first: the page's
     * callback is asked when set). */
    _restore() {
      if (typeof this.getToken === 'function') {
        const asked = this._restoring = this._credential(false).then((value) => {
          if (this._restoring === asked) { this._reader = readerOf(value); this._load(); }
        });
      } else {
        this._reader = readerOf(this._attributeCredential());
        this._load();
      }
    }

    _load() {
      this._turns = [];
      try {
        const saved = JSON.parse(sessionStorage.getItem(this._storageKey) || '[]');
        if (Array.isArray(saved)) this._turns = saved.filter((turn) => turn && turn.q && turn.status !== 'pending');
      } catch (_) { /* storage unavailable or corrupt: start afresh */ }
      this._render();
      this._scrollDown();  // back where the reader left it: the latest question and answer
    }

    _save() {
      const done = this._turns.filter((turn) => turn.status !== 'pending').slice(-MAX_TURNS);
      try {
        sessionStorage.setItem(this._storageKey, JSON.stringify(done));
      } catch (_) { /* full or blocked: the conversation just is not kept */ }
    }

    /** "New conversation": at once when there is nothing to lose, else on a second press
     * (its label asks first), so that one stray Enter does not erase a conversation. */
    _askReset() {
      if (!this._turns.length || this._confirming) { this._reset(); return; }
      this._confirming = true;
      this._clear.lastChild.textContent = this._t.confirmNewChat;
      this._clear.setAttribute('aria-label', this._t.confirmNewChat);
      this._clear.classList.add('confirm');
      clearTimeout(this._confirmTimer);
      this._confirmTimer = setTimeout(() => this._unconfirm(), 5000);
    }

    _unconfirm() {
      const t = this._t;
      clearTimeout(this._confirmTimer);
      this._confirming = false;
      this._clear.lastChild.textContent = t.newChat;
      this._clear.setAttribute('aria-label', t.newChat);
      this._clear.classList.remove('confirm');
    }

    _reset() {
      this._unconfirm();
      if (this._controller) this._controller.abort();
      this._turns = [];
      try { sessionStorage.removeItem(this._storageKey); } catch (_) { /* ignore */ }
      this._setBusy(false);
      this._render();
      this._input.focus();
    }

    _render() {
      if (!this._log) return;
      const t = this._t;
      this._log.replaceChildren();
      if (!this._turns.length) {
        this._log.append(h('div', { class: 'empty' }, h('strong', { text: t.emptyTitle }),
          h('span', { text: t.emptyBody })));
      }
      for (const turn of this._turns) this._log.append(this._turnView(turn).root);
    }

    _scrollDown() { this._log.scrollTop = this._log.scrollHeight; }

    /** Shows a finished answer from its question down, rather than its last card. */
    _scrollTo(view) {
      // A question taller than half the log (a long paste) would fill it: show the reply.
      const ask = view.root.querySelector('.ask');
      const target = ask && ask.offsetHeight > this._log.clientHeight / 2 ? view.reply : view.root;
      const top = target.getBoundingClientRect().top - this._log.getBoundingClientRect().top;
      this._log.scrollTop += top - 8;
    }

    // ---- asking -------------------------------------------------------------------------

    _submit() {
      const question = this._input.value.trim();
      if (!question || this._busy) return;
      this._input.value = '';
      this._grow();
      this._input.focus();  // sent with the button: its disabling would drop the focus
      this._ask(question);
    }

    async _ask(question, existing) {
      const turn = existing || { q: question };
      Object.assign(turn, { status: 'pending', body: null, text: '', error: null, detail: '' });
      if (!existing) this._turns.push(turn);
      if (!this._log.querySelector('.turn')) this._log.replaceChildren();
      const view = existing && existing.view ? existing.view : this._turnView(turn);
      if (!view.root.isConnected) this._log.append(view.root);
      this._fillReply(turn, view);
      this._setBusy(true);
      this._scrollDown();
      const controller = new AbortController();
      this._controller = controller;
      try {
        let response = await this._post(question, !this._noStream, controller, turn);
        // An older server refuses what it does not know (422 unknown_field): ask without it
        // from now on, `history` first, then `stream`.
        for (let tries = 0; response.status === 422 && tries < 2; tries++) {
          const error = await this._errorOf(response);
          if (error.code === 'unknown_field' && /history/.test(error.message) && !this._noHistory) {
            this._noHistory = true;
          } else if (error.code === 'unknown_field' && /stream/.test(error.message) && !this._noStream) {
            this._noStream = true;  // a server without streaming: plain JSON from now on
          } else {
            throw new ApiFailure('request', error.message);
          }
          response = await this._post(question, !this._noStream, controller, turn);
        }
        if (!response.ok) throw await this._failure(response);
        const type = (response.headers.get('content-type') || '').toLowerCase();
        if (type.startsWith('text/event-stream')) {
          clearTimeout(controller.timer);
          await this._stream(response, turn, view);
        }
        else turn.body = await response.json();
        if (turn.status === 'pending') turn.status = 'done';
      } catch (error) {
        if (controller.signal.aborted && !controller.timedOut && !controller.cancelled) return;  // reset
        turn.status = 'error';
        turn.error = controller.cancelled ? 'cancelled' : controller.timedOut ? 'timeout'
          : error instanceof ApiFailure ? error.kind : error instanceof SyntaxError ? 'server' : 'network';
        turn.detail = error instanceof ApiFailure ? error.detail : '';
      } finally {
        clearTimeout(controller.timer);
        if (this._controller === controller) {
          this._controller = null;
          this._setBusy(false);
        }
      }
      if (!this._turns.includes(turn)) return;
      this._fillReply(turn, view);
      this._save();
      this._scrollTo(view);
      this._announce(turn);
    }

    /** What a failed turn says. */
    _errorText(turn) {
      const t = this._t;
      return { network: t.errNetwork, auth: t.errAuth, busy: t.errBusy, server: t.errServer,
        stream: t.errStream, timeout: t.errTimeout, request: t.errRequest,
        cancelled: t.errCancelled }[turn.error] || t.errServer;
    }

    /** What a finished reply says, in short, for screen readers. */
    _announce(turn) {
      const t = this._t;
      const body = turn.body;
      const passages = body && Array.isArray(body.passages) ? body.passages : [];
      const answer = answerOf(body);
      let text = '';
      if (turn.status === 'error') text = this._errorText(turn);
      else if (!passages.length) text = t.noPassages;
      else if (nothingAnswers(body, answer, turn.text)) text = t.lowRelevance;
      else if (answer && answer.text) text = String(answer.text).replace(/\[\s*[\d\s,;]+\]/g, '').slice(0, 400);
      else text = t.found(passages.length);
      this._announcer.textContent = text;
    }

    /** The turns before `turn` as the API reads them, oldest first, within its bounds. */
    _history(turn) {
      const before = this._turns.slice(0, this._turns.indexOf(turn)).filter((t) => t && t.q);
      const history = [];
      let size = 0;
      for (const earlier of before.slice(-HISTORY_TURNS).reverse()) {
        const question = String(earlier.q).slice(0, MAX_QUESTION);
        const entry = { question };
        const body = earlier.body || null;
        const answer = answerOf(body);
        if (answer && answer.text && body && !nothingAnswers(body, answer)) {
          entry.answer = String(answer.text).slice(0, HISTORY_ANSWER);
        }
        const docs = citedDocuments(body, answer);
        if (docs.length) entry.doc_ids = docs;
        size += question.length + (entry.answer ? entry.answer.length : 0);
        if (size > HISTORY_CHARS) break;
        history.unshift(entry);
      }
      return history;
    }

    _attributeCredential() { return this.getAttribute('token') || this.getAttribute('api-key'); }

    /** The credential for the next request: the page's callback alone when it is set (one
     * that fails sends none: never a fallback to another credential), else `token`, else
     * `api-key`; null without one. */
    async _credential(refresh) {
      if (typeof this.getToken === 'function') {
        try { return (await this.getToken({ refresh })) || null; } catch (_) { return null; }
      }
      return this._attributeCredential() || null;
    }

    /** Another reader from now on: the turns (shown, kept, sent as `history`) and the
     * documents' texts were the last reader's, so they go; a question being asked stays. */
    _noteReader(reader) {
      this._restoring = null;  // a question came first: what is shown now stays
      if (this._reader === undefined || reader === this._reader) {
        this._reader = reader;
        return;
      }
      try { sessionStorage.removeItem(this._storageKey); } catch (_) { /* ignore */ }
      this._reader = reader;
      this._texts.clear();
      const asking = this._turns.filter((turn) => turn.status === 'pending');
      if (asking.length === this._turns.length) return;
      this._turns = asking;  // at most one, the last: a question waits for the one before
      if (!asking.length) { this._render(); return; }
      const shown = [...this._log.querySelectorAll('.turn')];
      shown.slice(0, -1).forEach((el) => el.remove());
    }

    /** `Authorization` for the next request (see `_credential`); none when none is set.
     * `refresh`: the last token was refused (401). */
    async _authorization(refresh = false) {
      const value = await this._credential(refresh);
      this._noteReader(readerOf(value));
      return value ? { Authorization: `Bearer ${String(value).trim()}` } : {};
    }

    /** fetch with the reader's token; a 401 asks the page's callback for a fresh token and
     * sends the request once more. */
    async _fetch(url, options, authorization = null) {
      let response = await fetch(url, Object.assign({}, options, {
        headers: Object.assign({}, options.headers, authorization || await this._authorization(false)) }));
      if (response.status === 401 && typeof this.getToken === 'function') {
        response = await fetch(url, Object.assign({}, options, {
          headers: Object.assign({}, options.headers, await this._authorization(true)) }));
      }
      return response;
    }

    async _post(question, stream, controller, turn) {
      const headers = { 'Content-Type': 'application/json',
        Accept: stream ? 'text/event-stream, application/json' : 'application/json' };
      // Who asks is known first: another reader's turns are forgotten, never sent as history.
      const authorization = await this._authorization(false);
      const history = this._history(turn);
      const body = { question, k: 5 };
      if (history && history.length && !this._noHistory) body.history = history;
      if (stream) body.stream = true;
      // A server that hangs is given up on; a stream that has started shows its own progress.
      clearTimeout(controller.timer);
      controller.timer = setTimeout(() => { controller.timedOut = true; controller.abort(); }, TIMEOUT_MS);
      return this._fetch(`${this.endpoint}/v1/ask`, { method: 'POST', headers, body: JSON.stringify(body),
        signal: controller.signal, credentials: 'omit', mode: 'cors' }, authorization);
    }

    async _errorOf(response) {
      try {
        const body = await response.json();
        if (body && body.error) return { code: String(body.error.code || ''), message: String(body.error.message || '') };
      } catch (_) { /* not our error shape */ }
      return { code: '', message: '' };
    }

    async _failure(response) {
      const error = await this._errorOf(response);
      const status = response.status;
      if (status === 401 || status === 403) return new ApiFailure('auth');
      if (status === 429) return new ApiFailure('busy');
      if (status >= 500) return new ApiFailure('server');
      return new ApiFailure('request', error.message);
    }

    async _stream(response, turn, view) {
      for await (const { event, data } of serverEvents(response)) {
        if (event === 'passages') {
          turn.body = Object.assign({}, data, { answer: null, reason: null, reason_code: null });
          this._fillReply(turn, view, true);
        } else if (event === 'delta') {
          turn.text += data.text || '';
          if (view.live) view.live.textContent = turn.text;
          else this._fillReply(turn, view, true);
        } else if (event === 'citations') {
          turn.citations = data;
        } else if (event === 'done') {
          if (turn.body) Object.assign(turn.body, { answer: data.answer, reason: data.reason,
            reason_code: data.reason_code || null });
          return;
        } else if (event === 'error') {
          turn.status = 'error';
          turn.error = turn.body ? 'stream' : 'server';
          return;
        }
        this._scrollDown();
      }
      if (turn.status === 'pending' && !turn.body) throw new ApiFailure('server');
    }

    // ---- one question and its answer --------------------------------------------------------

    _turnView(turn) {
      const t = this._t;
      const reply = h('div', { class: 'reply', role: 'group', 'aria-label': t.answer });
      const root = h('article', { class: 'turn' },
        h('p', { class: 'ask' }, h('span', { class: 'sr-only', text: `${t.you}${t.colon}` }), turn.q), reply);
      const view = { root, reply, live: null };
      Object.defineProperty(turn, 'view', { value: view, enumerable: false, configurable: true, writable: true });
      this._fillReply(turn, view);
      return view;
    }

    /** (Re)draws the reply. While streaming, the answer text is one live text node. */
    _fillReply(turn, view, streaming = false) {
      const t = this._t;
      const body = turn.body;
      const parts = [];
      view.live = null;
      if (turn.status === 'pending' && !(streaming && turn.text)) {
        parts.push(h('p', { class: 'status', role: 'status' },
          h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
          body ? t.writing : t.searching));
      }
      if (turn.status === 'error') {
        const message = this._errorText(turn);
        const retry = turn.error === 'stream' || turn.error === 'auth' ? null
          : h('button', { class: 'ghost', type: 'button', onclick: () => {
            if (this._busy) return;
            this._input.focus();  // the button goes with the error it answers
            this._ask(turn.q, turn);
          } }, t.retry);
        parts.push(h('div', { class: 'error', role: 'alert' },
          h('p', {}, message, turn.detail ? ` (${turn.detail})` : ''), retry));
      }
      if (body) {
        const searched = searchedQuery(body, turn.q);
        if (searched) parts.push(h('p', { class: 'searched', role: 'note', text: t.searchedFor(searched) }));
        const passages = Array.isArray(body.passages) ? body.passages : [];
        const code = body.reason_code || null;
        const answer = answerOf(body);
        // One message per reply, chosen by code and flag, never by the server's prose: with
        // low relevance or no passage, ragqa's own abstention is that message, so its text
        // is not repeated as an answer.
        if (!passages.length) {
          if (turn.status !== 'pending') parts.push(h('p', { class: 'notice', role: 'note', text: t.noPassages }));
        } else if (nothingAnswers(body, answer, turn.text)) {
          parts.push(h('p', { class: 'notice', role: 'note', text: t.lowRelevance }),
            h('p', { class: 'lead', text: t.closest }));
        } else {
          const text = answer ? answer.text : turn.text;
          if (text) {
            const para = h('p', { class: 'text' });
            const proof = h('ol', { class: 'proof', 'aria-label': t.sources });
            if (turn.status === 'pending') { view.live = document.createTextNode(text); para.append(view.live); }
            else this._markers(para, proof, text, answer, turn, passages);
            parts.push(para, proof);
            if (code === 'not_grounded') parts.push(h('p', { class: 'muted', text: t.notGrounded }));
            parts.push(h('p', { class: 'lead', text: t.sources }));
          } else if (LLM_FAILED.has(code) && turn.status !== 'pending') {
            parts.push(h('p', { class: 'notice', role: 'note', text: t.llmFailed }));
          } else {
            parts.push(h('p', { class: 'lead', text: t.passagesLead }));
          }
        }
        if (passages.length) {
          // Cards are built once per answer so that opened contexts survive stream updates.
          if (!view.cards || view.cardsFor !== passages) {
            view.cards = h('ol', { class: 'cards' }, ...passages.map((p, i) =>
              this._card(p, p.rank || i + 1, relativeSpan(p.quote, p.start, p.highlight), 'passage')));
            view.cardsFor = passages;
          }
          parts.push(view.cards);
        }
        if (turn.status === 'done') parts.push(this._actions(turn));
      }
      view.reply.replaceChildren(...parts);
    }

    /** Answer text with each [n] as a button that shows its quote underneath. */
    _markers(para, proof, text, answer, turn, passages) {
      const t = this._t;
      const citations = (turn.citations && turn.citations.citations) || (answer && answer.citations) || [];
      // The server's marker grammar: [1], [1, 2] or [1; 2].
      const pattern = /\[\s*(\d{1,6}(?:\s*[,;]\s*\d{1,6})*)\s*\]/g;
      let last = 0;
      let match;
      const opened = new Map();
      const sync = () => {
        for (const b of para.querySelectorAll('.cite')) {
          b.setAttribute('aria-expanded', String(opened.has(Number(b.dataset.n))));
        }
      };
      while ((match = pattern.exec(text))) {
        const sources = match[1].split(/\s*[,;]\s*/).map(Number)
          .map((n) => [n, this._source(n, citations, passages)]).filter(([, s]) => s);
        if (!sources.length) continue;
        para.append(text.slice(last, match.index));
        last = match.index + match[0].length;
        for (const [n, source] of sources) {
          const button = h('button', { class: 'cite', type: 'button', 'aria-expanded': 'false',
            'data-n': String(n), 'aria-label': t.source(n, source.passage.title || source.passage.doc_id) }, `${n}`);
          button.addEventListener('click', () => {
            const open = opened.get(n);
            if (open) {
              open.remove();
              opened.delete(n);
            } else {
              const card = this._card(source.passage, n, source.span, 'source');
              opened.set(n, card);
              proof.append(card);
            }
            sync();
          });
          para.append(button);
        }
      }
      para.append(text.slice(last));
    }

    /** The passage and highlighted span that prove marker n. */
    _source(n, citations, passages) {
      const citation = citations.find((c) => c.n === n);
      const byRank = passages.find((p) => p.rank === n) || passages[n - 1];
      if (!citation) return byRank ? { passage: byRank, span: relativeSpan(byRank.quote, byRank.start, byRank.highlight) } : null;
      const holds = (p) => p.doc_id === citation.doc_id && p.start <= citation.start && citation.end <= p.end;
      const passage = byRank && holds(byRank) ? byRank : passages.find(holds);
      if (!passage) {  // the citation alone: its quote is text[start:end]
        const quote = String(citation.quote || '');
        const own = { doc_id: citation.doc_id, title: citation.title || citation.doc_id, section: '',
          quote, start: citation.start, end: citation.end, highlight: null, page: null };
        return { passage: own, span: null };
      }
      const narrower = citation.start > passage.start || citation.end < passage.end;
      const span = narrower ? relativeSpan(passage.quote, passage.start, citation)
        : relativeSpan(passage.quote, passage.start, passage.highlight);
      return { passage, span };
    }

    // ---- a passage card ---------------------------------------------------------------------

    _card(passage, n, span, kind) {
      const t = this._t;
      const title = String(passage.title || passage.doc_id || '');
      const where = [sectionOf(passage), passage.page ? t.page(passage.page) : null].filter(Boolean).join(' · ');
      // The quote without its first lines where they repeat the head's title or section:
      // the passage's text from `skip` on, the spans moved with it.
      const answer = relativeSpan(String(passage.quote || ''), passage.start, passage.answer_span);
      const skip = headingEnd(passage, span, answer);
      const quote = String(passage.quote || '').slice(skip);
      const shift = (s) => (s ? { start: s.start - skip, end: s.end - skip } : null);
      const block = h('blockquote', { class: 'quote' });
      const long = quote.length > (span ? span.end - span.start : 0) + 2 * EXCERPT + 40;
      let full = !long;
      const draw = () => block.replaceChildren(...this._quoteNodes(quote, shift(span), full, shift(answer)));
      draw();
      const id = `ragqa-ctx-${++uid}`;
      const context = h('div', { class: 'context', id, hidden: true });
      const actions = h('div', { class: 'card-actions' });
      if (long) {
        const toggle = h('button', { class: 'link', type: 'button', 'aria-expanded': 'false' }, t.fullPassage);
        toggle.addEventListener('click', () => {
          full = !full;
          toggle.textContent = full ? t.shortPassage : t.fullPassage;
          toggle.setAttribute('aria-expanded', String(full));
          draw();
        });
        actions.append(toggle);
      }
      if (passage.doc_id && Number.isInteger(passage.start)) {
        const show = h('button', { class: 'link', type: 'button', 'aria-expanded': 'false', 'aria-controls': id }, t.showContext);
        show.addEventListener('click', () => {
          const open = context.hidden;
          context.hidden = !open;
          show.textContent = open ? t.hideContext : t.showContext;
          show.setAttribute('aria-expanded', String(open));
          if (open && !context.firstChild) this._context(context, passage, span, title);
        });
        actions.append(show);
      }
      const label = kind === 'source' ? t.source(n, title) : t.passage(n, title);
      return h('li', { class: `card ${kind}`, 'aria-label': label },
        h('div', { class: 'card-head' }, h('span', { class: 'rank', 'aria-hidden': 'true' }, String(n)),
          h('div', { class: 'doc' }, h('div', { class: 'doc-title' }, title),
            where ? h('div', { class: 'section' }, where) : null)),
        block, actions, context);
    }

    /** The quote (or an excerpt around the highlight) as text nodes with the sentence marked
     *  and, when the reader found it there (answer_span), the answer inside it in bold. */
    _quoteNodes(quote, span, full, answer) {
      if (!span) return full ? [quote] : [quote.slice(0, 2 * EXCERPT).trimEnd(), quote.length > 2 * EXCERPT ? ' …' : ''];
      let from = 0;
      let to = quote.length;
      if (!full) {
        from = Math.max(0, span.start - EXCERPT);
        to = Math.min(quote.length, span.end + EXCERPT);
        if (from > 0) from = Math.min(span.start, nextSpace(quote, from));
        if (to < quote.length) to = Math.max(span.end, prevSpace(quote, to));
      }
      const inside = answer && answer.start >= span.start && answer.end <= span.end
        ? [quote.slice(span.start, answer.start),
          h('strong', { class: 'answer' }, quote.slice(answer.start, answer.end)),
          quote.slice(answer.end, span.end)]
        : [quote.slice(span.start, span.end)];
      return [from > 0 ? '… ' : '', quote.slice(from, span.start).trimStart(),
        h('mark', {}, ...inside), quote.slice(span.end, to),
        to < quote.length ? ' …' : ''];
    }

    async _context(box, passage, span, title) {
      const t = this._t;
      box.append(h('p', { class: 'context-label', role: 'status', text: t.loading }));
      let text;
      try {
        text = await this._documentText(passage.doc_id);
      } catch (_) {
        box.replaceChildren(h('p', { class: 'context-label', role: 'alert', text: t.contextError }));
        return;
      }
      const { start, end } = passage;
      if (text.slice(start, end) !== passage.quote) {
        box.replaceChildren(h('p', { class: 'context-label', role: 'note', text: t.changed }));
        return;
      }
      let from = Math.max(0, start - CONTEXT);
      let to = Math.min(text.length, end + CONTEXT);
      if (from > 0) from = Math.min(start, nextSpace(text, from));
      if (to < text.length) to = Math.max(end, prevSpace(text, to));
      const inner = span ? [text.slice(start, start + span.start),
        h('mark', {}, text.slice(start + span.start, start + span.end)), text.slice(start + span.end, end)]
        : [text.slice(start, end)];
      const quoted = h('span', { class: 'in-quote' }, ...inner);
      const body = h('div', { class: 'context-text', tabindex: '0', 'aria-label': t.contextOf(title) },
        from > 0 ? '… ' : '', text.slice(from, start).trimStart(), quoted, text.slice(end, to), to < text.length ? ' …' : '');
      box.replaceChildren(h('p', { class: 'context-label', text: t.contextOf(title) }), body);
      // Bring the marked quote into view inside the box, without scrolling the page.
      requestAnimationFrame(() => { body.scrollTop = Math.max(0, quoted.offsetTop - body.offsetTop - 24); });
    }

    _documentText(docId) {
      if (!this._texts.has(docId)) {
        const path = String(docId).split('/').map(encodeURIComponent).join('/');
        const promise = this._fetch(`${this.endpoint}/v1/documents/${path}/text`, { headers: {}, credentials: 'omit' })
          .then((r) => { if (!r.ok) throw new ApiFailure('server'); return r.text(); });
        promise.catch(() => this._texts.delete(docId));
        this._texts.set(docId, promise);
      }
      return this._texts.get(docId);
    }

    // ---- copy ---------------------------------------------------------------------------------

    _actions(turn) {
      const t = this._t;
      const done = h('span', { class: 'done', role: 'status' });
      const button = h('button', { class: 'ghost', type: 'button' }, icon('copy', 15), h('span', {}, t.copy));
      button.addEventListener('click', async () => {
        const ok = await copyText(this._root, this._plain(turn));
        done.textContent = ok ? t.copied : t.copyFailed;
        setTimeout(() => { done.textContent = ''; }, 2500);
      });
      return h('div', { class: 'actions' }, button, done);
    }

    /** The answer and its sources as plain text, for the clipboard. */
    _plain(turn) {
      const t = this._t;
      const body = turn.body || {};
      const passages = body.passages || [];
      const answer = answerOf(body);
      const lines = [`${t.copyQuestion}${t.colon}${turn.q}`, ''];
      if (!passages.length) lines.push(t.noPassages, '');
      else if (nothingAnswers(body, answer)) lines.push(t.lowRelevance, '');
      else if (answer && answer.text) lines.push(answer.text, '');
      else lines.push(t.passagesLead, '');
      lines.push(`${t.copySources}${t.colon.trimEnd()}`);
      passages.forEach((p, i) => {
        const span = relativeSpan(p.quote, p.start, p.highlight);
        const skip = span ? 0 : headingEnd(p);  // as the card shows it: no heading repeated
        const excerpt = span ? p.quote.slice(span.start, span.end) : p.quote.slice(skip);
        // The offsets of what is quoted: the document's text[start:end] is the excerpt (the
        // API counts code points, a string's indices UTF-16 units: an emoji is two).
        const [start, end] = span ? [p.start + span.start, p.start + span.end]
          : [p.start + [...p.quote.slice(0, skip)].length, p.end];
        const where = [sectionOf(p), p.page ? t.page(p.page) : null].filter(Boolean).join(' · ');
        lines.push(`[${p.rank || i + 1}] ${p.title}${where ? ` — ${where}` : ''} (${p.doc_id}, ${start}–${end})`,
          `    ${t.quote(excerpt.replace(/\s+/g, ' ').trim())}`);
      });
      return lines.join('\n');
    }
  }

  function nextSpace(text, i) { const j = text.slice(i).search(/\s/); return j < 0 ? i : i + j + 1; }
  function prevSpace(text, i) { const j = text.lastIndexOf(' ', i); return j <= 0 ? i : j; }

  async function copyText(root, text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return true;
      }
    } catch (_) { /* fall through to the older way */ }
    // Plain http intranet pages are not secure contexts: no async clipboard API there.
    const area = h('textarea', { class: 'sr-only', readonly: true, 'aria-hidden': 'true' });
    area.value = text;
    root.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
    area.remove();
    return ok;
  }

  customElements.define('ragqa-chat', RagqaChat);
})();
