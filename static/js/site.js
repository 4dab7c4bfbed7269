// Copy buttons and the address page's family-specific checks. Everything works without it.
document.querySelectorAll("[data-copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const field = document.querySelector(button.dataset.copy);
    field.select();
    try { await navigator.clipboard.writeText(field.value); } catch (e) { document.execCommand("copy"); }
    button.textContent = button.dataset.copied || "Copied";
  });
});
document.querySelectorAll("[data-myip]").forEach(async (cell) => {
  try {
    const response = await fetch(cell.dataset.myip);
    cell.textContent = (await response.text()).trim() || "–";
  } catch (e) {
    cell.textContent = "–";
  }
});
