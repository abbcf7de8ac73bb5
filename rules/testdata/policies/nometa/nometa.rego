package amiaudit.rules.org.nometa

findings contains "x" if true
