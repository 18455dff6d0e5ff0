import socket

import pytest


def test_a_test_that_reaches_the_internet_fails() -> None:
    with pytest.raises(OSError, match="network"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_resolving_a_public_host_fails() -> None:
    with pytest.raises(OSError, match="resolve"):
        socket.getaddrinfo("example.com", 443)
