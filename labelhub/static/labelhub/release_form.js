// New-release form: offer only the quota cells and dialects of the chosen campaigns (the
// release's campaign and the extra ones pooled in). The server checks the same rule.
(function () {
  "use strict";
  const form = document.getElementById("release-spec");
  if (!form) return;
  const campaign = form.querySelector("#id_campaign");
  const extra = form.querySelector("#id_extra_campaigns");

  function chosen() {
    const ids = new Set();
    if (campaign && campaign.value) ids.add(campaign.value);
    if (extra) {
      for (const option of extra.selectedOptions) ids.add(option.value);
    }
    return ids;
  }

  function scope(container) {
    if (!container) return;
    const ids = chosen();
    for (const input of container.querySelectorAll("input[data-campaigns]")) {
      const owners = input.dataset.campaigns.split(" ").filter(Boolean);
      const offered = ids.size === 0 || input.checked || owners.some((id) => ids.has(id));
      input.closest("label").hidden = !offered;
    }
    // A campaign's group of cells goes with its last offered cell.
    for (const group of container.querySelectorAll(":scope > div")) {
      const labels = group.querySelectorAll("label:has(input)");
      if (labels.length === 0) continue;
      const shown = Array.from(labels).some((label) => !label.hidden);
      group.hidden = !shown;
    }
  }

  function update() {
    scope(form.querySelector("#id_quota_cells"));
    scope(form.querySelector("#id_dialects"));
  }

  if (campaign) campaign.addEventListener("change", update);
  if (extra) extra.addEventListener("change", update);
  update();
})();
