/**
 * The stylesheet of the member page and the admin console, served from /pages/assets/ (a TS
 * string so that the bundle carries it: no front-end build step). Colours follow
 * prefers-color-scheme; the accent comes from /pages/accent.css (a workspace setting).
 */
export const PAGES_CSS = `
:root{--accent:#0a66c2;--bg:#ffffff;--fg:#1d2226;--muted:#5e6670;--line:#e3e6ea;--card:#f6f7f9;--warn-bg:#fff6e0;--warn-fg:#5c4300;--bad:#b42318;--ok:#067647;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#15181c;--fg:#e9ecef;--muted:#a3abb5;--line:#2c3238;--card:#1d2126;--warn-bg:#3a2f10;--warn-fg:#f5dc9a;--bad:#fda29b;--ok:#75e0a7}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
a{color:var(--accent)}
@media (prefers-color-scheme:dark){a{color:color-mix(in srgb,var(--accent) 55%,white)}}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.skip{position:absolute;left:-999px;top:0}.skip:focus{left:8px;top:8px;background:var(--bg);padding:6px 10px;z-index:9}
.wrap{max-width:760px;margin:0 auto;padding:16px}
.brand{display:flex;align-items:center;gap:10px;padding:12px 16px;border-bottom:3px solid var(--accent)}
.brand img{height:28px;width:auto;max-width:120px}
.brand-name{font-weight:600}
h1{font-size:1.35rem;margin:.4em 0 .2em}
h2{font-size:1.05rem;margin:1.2em 0 .5em}
.summary{color:var(--muted);margin:0 0 12px}
.summary strong{color:var(--fg);font-size:1.15rem}
.note{background:var(--warn-bg);color:var(--warn-fg);border-radius:8px;padding:10px 12px;margin:12px 0;font-size:.93rem}
.error-page{max-width:520px;margin:15vh auto;padding:16px;text-align:center}
.badge{display:inline-block;font-size:.75rem;font-weight:600;border-radius:999px;padding:1px 8px;background:var(--card);color:var(--muted);border:1px solid var(--line)}
.badge--live{background:var(--accent);color:#fff;border-color:var(--accent)}
.viewers{list-style:none;margin:0;padding:0;border-top:1px solid var(--line)}
.viewer{display:flex;gap:12px;align-items:flex-start;padding:12px 2px;border-bottom:1px solid var(--line)}
.viewer:focus{outline:3px solid var(--accent);outline-offset:-3px}
.avatar{flex:0 0 44px;width:44px;height:44px;border-radius:50%;overflow:hidden;background:var(--card);display:flex;align-items:center;justify-content:center;font-weight:600;color:var(--muted)}
.avatar img{width:44px;height:44px;object-fit:cover}
.who{flex:1 1 auto;min-width:0}
.label{font-weight:600;overflow-wrap:anywhere}
.headline{display:block;color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}
.hidden-why{display:block;color:var(--muted);font-size:.85rem;font-style:italic}
.when{flex:0 0 auto;text-align:right;color:var(--muted);font-size:.85rem}
.when .count{display:block}
.viewer--blurred .label{letter-spacing:.01em}
@media (max-width:480px){.viewer{flex-wrap:wrap}.when{flex-basis:100%;text-align:left;padding-left:56px}.when .count{display:inline}.when .count::before{content:" · "}}
.button,button{display:inline-block;font:inherit;cursor:pointer;border-radius:8px;border:1px solid var(--accent);background:var(--accent);color:#fff;padding:8px 14px;text-decoration:none;min-height:40px}
.button--quiet,button.quiet{background:transparent;color:var(--accent)}
button.danger{background:transparent;color:var(--bad);border-color:var(--bad)}
.more{margin:16px 0;width:100%;text-align:center}
.ranges{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0 8px}
.ranges a{padding:4px 10px;border-radius:999px;border:1px solid var(--line);text-decoration:none;color:var(--fg);font-size:.88rem;min-height:32px;display:inline-flex;align-items:center}
.ranges a[aria-current="true"]{background:var(--accent);border-color:var(--accent);color:#fff}
.chart{width:100%;min-height:200px;background:var(--card);border-radius:8px;padding:6px}
.chart table{width:100%;border-collapse:collapse;font-size:.85rem}
.bars{display:grid;grid-template-columns:minmax(90px,38%) 1fr auto;gap:6px 10px;align-items:center;font-size:.9rem;margin:0 0 12px}
.bars svg{width:100%;height:14px;display:block}
.bars rect{fill:var(--accent)}
.bars .n{color:var(--muted);text-align:right}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.stat{font-size:1.6rem;font-weight:700}
nav.admin{display:flex;flex-wrap:wrap;gap:4px 14px;align-items:center;padding:10px 16px;border-bottom:1px solid var(--line)}
nav.admin a{text-decoration:none;padding:4px 2px}
nav.admin a[aria-current="page"]{font-weight:700;border-bottom:2px solid var(--accent)}
nav.admin form{margin-left:auto}
table.data{width:100%;border-collapse:collapse;font-size:.9rem}
table.data th,table.data td{text-align:left;padding:7px 6px;border-bottom:1px solid var(--line);vertical-align:top}
.table-scroll{overflow-x:auto;position:relative}
form.stack{display:grid;gap:10px;max-width:520px}
form.inline{display:inline-flex;gap:6px;align-items:center;flex-wrap:wrap}
label{font-weight:600;font-size:.9rem}
.hint{display:block;font-weight:400;color:var(--muted);font-size:.82rem}
input,select,textarea{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:7px 9px;min-height:38px;width:100%}
form.inline input{width:9em}
.flash{border-radius:8px;padding:10px 12px;margin:12px 0;background:var(--card);border:1px solid var(--line)}
.flash--error{border-color:var(--bad);color:var(--bad)}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}
ol.attempts{margin:0;padding-left:1.4em}ol.attempts li{white-space:nowrap}
.url,td.details{overflow-wrap:anywhere}table.data time{white-space:nowrap}
form.inline input[type=datetime-local]{width:auto}
nav.admin+main.wrap{max-width:1120px}
.filters a[aria-current]{font-weight:700;text-decoration:none;color:var(--fg)}
.secret{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere;background:var(--card);padding:8px;border-radius:6px;display:block}
.frame{width:100%;height:720px;border:1px solid var(--line);border-radius:8px}
`;
