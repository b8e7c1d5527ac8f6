"""The app's look and its one piece of browser behaviour: citation markers scroll to their source.

Kept as Python strings so that they ship with the package like any module.

>>> "a.cite" in CSS and "a.cite" in HEAD
True
"""

CSS = """
#header { align-items: center; flex-wrap: wrap; row-gap: 4px; }
/* On a phone the title gets the row to itself and shrinks; words never break inside (SER-dialoogassistent). */
#title { min-width: min(100%, 300px) !important; }
#title h1 { overflow-wrap: normal; word-break: keep-all; hyphens: manual; font-size: clamp(1.5rem, 6.5vw, 2rem); }
#comment-box { margin-bottom: 10px; border: 1px solid var(--color-accent); }
.source-link { white-space: nowrap; }
/* Gradio paints a hovered checked radio white on white: keep the choice visible. */
#language input:checked, #language input:checked:hover, #purpose input:checked, #purpose input:checked:hover {
  background-color: var(--checkbox-background-color-selected); border-color: var(--checkbox-border-color-selected); }
#title h1 { margin-bottom: 0.2em; }
#sources-column .sources-panel { max-height: 680px; overflow-y: auto; padding-right: 4px; }
.sources-for { font-size: 0.9em; color: var(--body-text-color-subdued); margin: 0 0 8px; }
.sources-hint { font-size: 0.8em; color: var(--body-text-color-subdued); }
.source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin: 0 0 10px;
          background: var(--block-background-fill); scroll-margin: 12px; }
.source header { font-weight: 600; }
.source-number { color: var(--color-accent); margin-right: 2px; }
.source-meta { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 2px 0 6px; }
.source .translation { border-left: 3px solid var(--color-accent); padding: 2px 0 2px 8px; margin: 4px 0 8px; }
.source .translation-label { font-size: 0.8em; font-style: italic; color: var(--body-text-color-subdued); margin: 0; }
.source .translation blockquote { margin: 2px 0; }
.confidence { font-size: 0.85em; margin: 0 0 8px; }
.confidence-related { color: var(--color-accent); }
.source-lang { border: 1px solid var(--border-color-primary); border-radius: 4px; padding: 0 5px; }
.source .passage p, .source .section-text p, .source li { margin: 4px 0; }
.source ul { margin: 4px 0 4px 1.2em; list-style: disc; }
.source mark, .partner-result mark { background: #fff1a8; color: inherit; padding: 0 1px; border-radius: 2px; }
.dark .source mark { background: #6b5d00; }
.source details summary { cursor: pointer; color: var(--link-text-color); font-size: 0.9em; margin-top: 6px; }
.source .section-text { border-left: 3px solid var(--border-color-primary); padding-left: 8px; margin-top: 6px; }
.source.flash { outline: 3px solid var(--color-accent); outline-offset: 2px; }
a.cite { text-decoration: none; font-weight: 600; font-size: 0.8em; vertical-align: super; padding: 0 1px;
         cursor: pointer; }
.no-sources, .hint { color: var(--body-text-color-subdued); font-style: italic; }
.partner-result h3 { margin-top: 0; }
.partner-result ul { margin-left: 1.2em; list-style: disc; }
.partner-result li { margin: 6px 0; }
.topic-match { background: #e3f4e7; color: #1e5b2c; border-radius: 4px; font-size: 0.8em; padding: 1px 6px;
               margin-left: 4px; white-space: nowrap; }
.example-passage { border-left: 3px solid var(--color-accent); padding-left: 10px; margin: 6px 0; }
#examples .gallery-item { text-align: left; max-width: 100%; }
#examples .gallery-item .prose, #examples .gallery-item div { text-align: left; }
#footer { font-size: 0.85em; color: var(--body-text-color-subdued); }
"""

#: A citation marker [n] scrolls its source into view and flashes it; the panel may still be switching
#: to the clicked message's sources, so the target is looked for a few times. On a narrow screen the
#: sidebar of past conversations starts closed.
SCRIPT = """
(() => {
  const flash = (el) => {
    el.classList.remove('flash'); void el.offsetWidth; el.classList.add('flash');
    setTimeout(() => el.classList.remove('flash'), 1800);
  };
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.cite') : null;
    if (!link) return;
    event.preventDefault();
    const id = (link.getAttribute('href') || '').slice(1);
    let tries = 0;
    const go = () => {
      const target = document.getElementById(id);
      if (target) { target.scrollIntoView({behavior: 'smooth', block: 'nearest'}); flash(target); }
      else if (tries++ < 25) setTimeout(go, 100);
    };
    go();
  }, true);
  // On a phone the open sidebar of past conversations would cover the app: start with it closed.
  const closeOnPhone = (tries) => {
    if (window.innerWidth >= 800) return;
    const toggle = document.querySelector('#past-sidebar.open .toggle-button');
    if (toggle) toggle.click();
    else if (tries > 0) setTimeout(() => closeOnPhone(tries - 1), 200);
  };
  closeOnPhone(150);  // Gradio adds this script after the page has loaded: start looking now
})();
"""

HEAD = f"<script>{SCRIPT}</script>"
