// Drag-and-drop upload of source maps, through the same presigned flow as the CLI:
// start (bulk_start_upload) -> POST each file to its presigned URL -> finish
// (bulk_finish_upload). A map dropped with its minified script is sent as a PostHog
// container (version 1: source then map), so function names come from scopes.
(function () {
  "use strict";
  const zone = document.getElementById("dropzone");
  if (!zone) return;
  const input = document.getElementById("upload-input");
  const list = document.getElementById("upload-status");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const maxBytes = Number(zone.dataset.maxBytes);
  const encoder = new TextEncoder();

  function say(text, kind) {
    const item = document.createElement("li");
    item.textContent = text;
    item.className = kind || "";
    list.appendChild(item);
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function u32(n) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    return b;
  }

  function u64(n) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
    return b;
  }

  function container(source, map) {
    return new Blob([encoder.encode("posthog_error_tracking"), u32(1), u32(2),
      u64(source.byteLength), source, u64(map.byteLength), map]);
  }

  async function api(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || `${response.status} ${response.statusText}`);
    return data;
  }

  // Each map file with its chunk id and, when dropped too, its minified script.
  async function prepare(files) {
    const byName = new Map(files.map((f) => [f.name, f]));
    const items = [];
    for (const file of files) {
      if (!file.name.endsWith(".map")) continue;
      const mapBytes = new Uint8Array(await file.arrayBuffer());
      let parsed;
      try {
        parsed = JSON.parse(new TextDecoder().decode(mapBytes));
      } catch (e) {
        say(`${file.name}: not a JSON source map.`, "error");
        continue;
      }
      const chunkId = parsed.chunk_id || parsed.debug_id || parsed.debugId;
      if (typeof chunkId !== "string" || !chunkId) {
        say(`${file.name}: no chunk_id in the map; run "symbols sourcemap inject" on the build first.`, "error");
        continue;
      }
      const script = byName.get(file.name.slice(0, -4)) || byName.get(parsed.file || "");
      const blob = script
        ? container(new Uint8Array(await script.arrayBuffer()), mapBytes)
        : new Blob([mapBytes]);
      if (blob.size > maxBytes) {
        say(`${file.name}: larger than the limit of ${maxBytes} bytes.`, "error");
        continue;
      }
      const hash = hex(await crypto.subtle.digest("SHA-512", await blob.arrayBuffer()));
      items.push({name: file.name, chunkId, blob, hash});
    }
    return items;
  }

  async function upload(files) {
    list.replaceChildren();
    const items = await prepare(Array.from(files));
    if (!items.length) {
      if (!list.children.length) say("No .map files among these.", "error");
      return;
    }
    let idMap;
    try {
      idMap = (await api(zone.dataset.start, {
        symbol_sets: items.map((i) => ({chunk_id: i.chunkId, content_hash: i.hash})),
      })).id_map;
    } catch (e) {
      say(`Upload refused: ${e.message}`, "error");
      return;
    }
    const finished = {};
    await Promise.all(items.map(async (item) => {
      const target = idMap[item.chunkId];
      if (!target) {
        say(`${item.name}: already uploaded, unchanged.`, "ok");
        return;
      }
      const form = new FormData();
      for (const [k, v] of Object.entries(target.presigned_url.fields)) form.append(k, v);
      form.append("file", item.blob, item.name);
      const response = await fetch(target.presigned_url.url, {method: "POST", body: form});
      if (response.ok) {
        finished[target.symbol_set_id] = item.hash;
      } else {
        say(`${item.name}: the file was not stored (${response.status}).`, "error");
      }
    }));
    if (Object.keys(finished).length) {
      try {
        await api(zone.dataset.finish, {content_hashes: finished});
        say(`Uploaded ${Object.keys(finished).length} map(s); processing…`, "ok");
      } catch (e) {
        say(`Finishing the upload failed: ${e.message}`, "error");
      }
    }
    refresh(20);
  }

  // Reload the list until nothing is processing (or a few tries have passed).
  function refresh(tries) {
    if (!window.htmx) return;
    htmx.ajax("GET", location.href, {target: "#results", select: "#results", swap: "outerHTML"})
      .then(() => {
        if (tries > 1 && document.querySelector("#results .badge.pending")) {
          setTimeout(() => refresh(tries - 1), 1000);
        }
      });
  }

  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    upload(event.dataTransfer.files);
  });
  input.addEventListener("change", () => upload(input.files));
})();
