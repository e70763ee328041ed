/* The order form: search products by name, grade or code (results come from Kehu over htmx),
   and show each line's amount, the running total and what the customer's credit leaves after
   this order. Display only: the ledger computes the saved total the same way (quantity to
   0.001 half-even, price to the fen half-up, each line to the fen half-up). */
(function () {
  "use strict";

  // A decimal text as a BigInt count of 10^-places units, rounded as Python's Decimal.quantize:
  // half-even unless halfUp. null when the text is not a plain non-negative number.
  function scaled(text, places, halfUp) {
    var clean = String(text || "").replace(/[,，\s]/g, "");
    var m = /^(\d*)(?:\.(\d*))?$/.exec(clean);
    if (!m || (m[1] + (m[2] || "")) === "") return null;
    var frac = m[2] || "";
    var n = BigInt((m[1] || "0") + (frac + "0".repeat(places)).slice(0, places));
    var rest = frac.slice(places);
    if (/[1-9]/.test(rest)) {
      var first = rest.charCodeAt(0) - 48;
      var tail = /[1-9]/.test(rest.slice(1));
      if (first > 5 || (first === 5 && (tail || halfUp || n % 2n === 1n))) n += 1n;
    }
    return n;
  }

  function yuan(fen) {
    var negative = fen < 0n;
    var s = (negative ? -fen : fen).toString().padStart(3, "0");
    var whole = s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + "¥" + whole + "." + s.slice(-2);
  }

  function lineAmount(row) {
    var product = row.querySelector("input[name=product]");
    if (!product || !product.value) return null;
    var qty = scaled(row.querySelector("input[name=quantity]").value, 3, false);
    var priceText = row.querySelector("input[name=unit_price]").value.trim() || product.dataset.price;
    var price = scaled(priceText, 2, true);
    if (qty === null || price === null || qty === 0n) return null;
    return (qty * price + 500n) / 1000n; // 10^-5 yuan to fen, half-up
  }

  function recompute(form) {
    var total = 0n;
    form.querySelectorAll(".line-row").forEach(function (row) {
      var amount = lineAmount(row);
      row.querySelector(".line-amount output").textContent = amount === null ? "—" : yuan(amount);
      if (amount !== null) total += amount;
    });
    document.getElementById("order-total").textContent = yuan(total);
    var credit = form.querySelector(".credit-position[data-available]");
    if (!credit) return;
    var after = credit.querySelector(".after-order");
    var available = credit.dataset.available;
    if (!after || available === "") return;
    var left = (available.charAt(0) === "-" ? -1n : 1n) * scaled(available.replace("-", ""), 2, true) - total;
    var over = left < 0n;
    after.classList.toggle("over-limit", over);
    after.textContent = (over ? credit.dataset.textOver : credit.dataset.textAfter)
      .replace("%(amount)s", yuan(over ? -left : left));
  }

  function choose(button) {
    var box = button.closest(".product");
    var hidden = box.querySelector("input[name=product]");
    hidden.value = button.dataset.pk;
    hidden.dataset.price = button.dataset.price;
    var search = box.querySelector(".product-search");
    search.value = button.dataset.label;
    search.dataset.chosen = button.dataset.label;
    box.closest(".line-row").querySelector("input[name=unit_price]").placeholder = button.dataset.price;
    box.querySelector(".product-results").innerHTML = "";
    box.closest(".line-row").querySelector("input[name=quantity]").focus();
  }

  function setUp() {
    var form = document.getElementById("order-form");
    if (!form) return;
    form.querySelectorAll(".product-search").forEach(function (s) { s.dataset.chosen = s.value; });
    form.addEventListener("click", function (event) {
      var button = event.target.closest(".product-pick");
      if (button) { choose(button); recompute(form); }
    });
    form.addEventListener("input", function (event) {
      var search = event.target.closest(".product-search");
      if (search && search.value !== search.dataset.chosen) {
        // The text no longer names the chosen product: the line has none until one is picked.
        var hidden = search.closest(".product").querySelector("input[name=product]");
        hidden.value = "";
        hidden.dataset.price = "";
      }
      recompute(form);
    });
    form.addEventListener("keydown", function (event) {
      var search = event.target.closest(".product-search");
      if (!search) return;
      var results = search.closest(".product").querySelector(".product-results");
      if (event.key === "Enter") {
        event.preventDefault(); // Enter picks the first match; it never submits half an order
        var first = results.querySelector(".product-pick");
        if (first) { choose(first); recompute(form); }
      } else if (event.key === "Escape") {
        results.innerHTML = "";
      }
    });
    form.addEventListener("focusin", function (event) {
      if (event.target.closest(".product-results")) return; // a result being tapped
      var search = event.target.closest(".product-search");
      form.querySelectorAll(".product-results").forEach(function (results) {
        if (!search || !search.closest(".product").contains(results)) results.innerHTML = "";
      });
    });
    form.addEventListener("htmx:beforeSwap", function (event) {
      // Results that arrive after the person has moved on (picked a product, left the field)
      // would cover the form: only the field being typed in shows its results.
      var target = event.detail.target;
      if (target && target.classList.contains("product-results")) {
        var search = target.closest(".product").querySelector(".product-search");
        if (document.activeElement !== search) event.detail.shouldSwap = false;
      }
    });
    document.body.addEventListener("htmx:afterSwap", function () { recompute(form); });
    recompute(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
