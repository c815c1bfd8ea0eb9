// Progressive enhancement only: every feature here has a plain-HTML path that works without it.
"use strict";

(function () {
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  function debounce(fn, ms) {
    let timer;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  // The personal-information guard's findings above the preview: built from text nodes only,
  // so nothing the author typed is ever parsed as HTML.
  function showFindings(notice, findings) {
    const list = notice.querySelector("ul");
    if (!list) return;
    list.replaceChildren(...(findings || []).map((finding) => {
      const item = document.createElement("li");
      const label = document.createElement("strong");
      label.textContent = finding.label;
      item.append(label);
      finding.passages.forEach((passage) => {
        const snippet = document.createElement("div");
        const mark = document.createElement("mark");
        mark.textContent = passage.text;
        snippet.append(`${passage.field_label}: ${passage.before}`, mark, passage.after);
        item.append(snippet);
      });
      const why = document.createElement("div");
      why.className = "help";
      why.textContent = finding.explanation;
      item.append(why);
      return item;
    }));
    notice.hidden = list.children.length === 0;
  }

  // Markdown preview: rendered by the server with the same sanitizer as saving.
  document.querySelectorAll(".md-editor").forEach((editor) => {
    const input = editor.querySelector("textarea");
    const panel = editor.querySelector(".md-preview");
    const body = editor.querySelector(".md-preview-body");
    const notice = editor.querySelector(".privacy-notice");
    if (!input || !panel || !body) return;
    const render = debounce(async () => {
      if (!input.value.trim()) { panel.hidden = true; return; }
      const form = new FormData();
      form.append("body", input.value);
      try {
        const response = await fetch(editor.dataset.previewUrl, {
          method: "POST", body: form, credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        });
        const data = await response.json();
        panel.hidden = false;
        if (notice) showFindings(notice, data.findings);
        if (data.html !== undefined) {
          body.innerHTML = data.html; // sanitized server-side (bleach allowlist)
        } else {
          body.textContent = data.error || "";
        }
      } catch (_error) { /* preview is optional */ }
    }, 400);
    input.addEventListener("input", render);
    if (input.value.trim()) render();
  });

  // Characters used against the limit, counted as the server counts (code points, a line break as one).
  document.querySelectorAll(".md-editor .md-count").forEach((counter) => {
    const input = counter.closest(".md-editor").querySelector("textarea");
    if (!input) return;
    const update = () => {
      counter.textContent = counter.dataset.counting.replace("{count}", [...input.value].length.toLocaleString("ja-JP"));
    };
    input.addEventListener("input", update);
    update();
  });

  // Image upload from the editor: the plain-form link becomes a button; the image's Markdown
  // goes in at the cursor. Messages come from the page (data-*), in the reader's language.
  document.querySelectorAll(".md-editor .md-upload").forEach((box) => {
    const input = box.closest(".md-editor").querySelector("textarea");
    const link = box.querySelector("a");
    const status = box.querySelector(".md-upload-status");
    if (!input || !link || !status) return;
    const picker = document.createElement("input");
    picker.type = "file";
    picker.accept = "image/png,image/jpeg,image/gif,image/webp";
    picker.hidden = true;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "md-upload-button";
    button.textContent = link.textContent;
    link.replaceWith(button, picker);
    button.addEventListener("click", () => picker.click());
    picker.addEventListener("change", async () => {
      const file = picker.files[0];
      picker.value = "";
      if (!file) return;
      if (file.size > Number(box.dataset.maxBytes)) { status.textContent = box.dataset.tooBig; return; }
      status.textContent = box.dataset.uploading;
      button.disabled = true;
      const form = new FormData();
      form.append("image", file);
      let failure = box.dataset.failed;  // the server's own message when it gives one
      try {
        const response = await fetch(box.dataset.uploadUrl, {
          method: "POST", body: form, credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        });
        const data = response.headers.get("Content-Type")?.startsWith("application/json") ? await response.json() : {};
        if (!response.ok || !data.markdown) { failure = data.error || failure; throw new Error(failure); }
        const at = input.selectionEnd ?? input.value.length;
        const before = input.value.slice(0, at);
        const text = (before && !before.endsWith("\n") ? "\n" : "") + data.markdown + "\n";
        input.value = before + text + input.value.slice(at);
        input.selectionStart = input.selectionEnd = at + text.length;
        input.dispatchEvent(new Event("input"));
        input.focus();
        status.textContent = "";
      } catch (_error) {
        status.textContent = failure;
      } finally {
        button.disabled = false;
      }
    });
  });

  // Tag autocomplete on the last tag being typed.
  document.querySelectorAll("input[data-suggest-url]").forEach((input) => {
    const list = document.getElementById(input.getAttribute("list"));
    const update = debounce(async () => {
      const parts = input.value.split(/[,、，\s　]+/);
      const last = parts[parts.length - 1];
      if (!last || !list) return;
      try {
        const data = await getJSON(`${input.dataset.suggestUrl}?q=${encodeURIComponent(last)}`);
        const prefix = parts.slice(0, -1).join(" ");
        list.replaceChildren(...data.items.map((item) => {
          const option = document.createElement("option");
          option.value = (prefix ? prefix + " " : "") + item.name;
          option.label = `${item.name} ×${item.count}`;
          return option;
        }));
      } catch (_error) { /* ignore */ }
    }, 200);
    input.addEventListener("input", update);
  });

  // Organization picker: search by name, kana or code; remember the chosen code.
  document.querySelectorAll(".org-picker").forEach((picker) => {
    const input = picker.querySelector("input[type=text], input:not([type])");
    const list = picker.querySelector("datalist");
    const hidden = picker.querySelector('input[name="organization_code"]');
    if (!input || !list || !hidden) return;
    let options = [];
    const update = debounce(async () => {
      const match = options.find((item) => `${item.name} (${item.code})` === input.value);
      hidden.value = match ? match.code : "";
      if (match || input.value.trim().length < 1) return;
      try {
        const data = await getJSON(`${picker.dataset.searchUrl}?q=${encodeURIComponent(input.value)}`);
        options = data.items;
        list.replaceChildren(...options.map((item) => {
          const option = document.createElement("option");
          option.value = `${item.name} (${item.code})`;
          option.label = item.kana;
          return option;
        }));
      } catch (_error) { /* the server also accepts a typed name or code */ }
    }, 200);
    input.addEventListener("input", update);
  });

  // Similar questions while typing a title.
  document.querySelectorAll("input[data-similar-url]").forEach((input) => {
    const box = document.querySelector(".similar-questions");
    if (!box) return;
    const list = box.querySelector("ul");
    const warning = box.querySelector(".near-duplicate");  // the ask page only
    const update = debounce(async () => {
      if (input.value.trim().length < 4) { box.hidden = true; return; }
      try {
        const data = await getJSON(`${input.dataset.similarUrl}?title=${encodeURIComponent(input.value)}`);
        if (warning) warning.hidden = !data.items.some((item) => item.near_duplicate);
        list.replaceChildren(...data.items.map((item) => {
          const li = document.createElement("li");
          if (warning && item.near_duplicate) li.className = "near-duplicate";
          const link = document.createElement("a");
          link.href = item.url;
          link.textContent = item.title;
          link.target = "_blank";
          link.rel = "noopener";
          li.append(link, ` (${item.answers})${item.accepted ? " ✔" : ""}`);
          return li;
        }));
        box.hidden = data.items.length === 0;
      } catch (_error) { box.hidden = true; }
    }, 350);
    input.addEventListener("input", update);
  });

  // Ask before deleting.
  document.querySelectorAll("form.confirm").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm || "OK?")) event.preventDefault();
    });
  });
})();
