import pytest

from fastasync_cli.engine.dependency_names import DISTRIBUTION_NAMES, IMPORT_NAMES
from fastasync_cli.engine.names import (
    MAX_COMPONENT_NAME,
    MAX_IDENTIFIER_BYTES,
    MAX_PROJECT_NAME,
    component_name,
    database_identifier,
    project_name,
)
from fastasync_cli.errors import BadNameError
from tests.unit.dependency_tree import dependency_names


@pytest.mark.parametrize(
    ("raw", "snake", "kebab", "pascal"),
    [
        ("myapp", "myapp", "myapp", "Myapp"),
        ("my-app", "my_app", "my-app", "MyApp"),
        ("My_App2", "my_app2", "my-app2", "MyApp2"),
        ("a", "a", "a", "A"),
    ],
)
def test_project_name_forms(raw: str, snake: str, kebab: str, pascal: str) -> None:
    name = project_name(raw)
    assert (name.raw, name.snake, name.kebab, name.pascal) == (raw, snake, kebab, pascal)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "The project name is empty."),
        ("   ", "The project name is empty."),
        ("..", "The project name '..' is not a name."),
        ("a/b", "The project name 'a/b' contains a path separator."),
        ("a\\b", "The project name 'a\\\\b' contains a path separator."),
        ("class", "The project name 'class' is a Python keyword."),
        ("match", "The project name 'match' is a Python keyword."),
        (
            "asyncio",
            "The project name 'asyncio' would shadow the standard library module 'asyncio'.",
        ),
        (
            "fastapi",
            "The project name 'fastapi' would shadow the 'fastapi' package the project imports.",
        ),
        (
            "celery",
            "The project name 'celery' would shadow the 'celery' package the project imports.",
        ),
        (
            "app",
            "The project name 'app' would shadow the 'app' package the project imports.",
        ),
        (
            "2fast",
            "The project name '2fast' starts with a digit, so it cannot be a Python identifier.",
        ),
        (
            "my app",
            "The project name 'my app' may only contain ASCII letters, digits, and single '-' "
            "or '_' between them.",
        ),
        (
            "my--app",
            "The project name 'my--app' may only contain ASCII letters, digits, and single '-' "
            "or '_' between them.",
        ),
        (
            "app-",
            "The project name 'app-' may only contain ASCII letters, digits, and single '-' "
            "or '_' between them.",
        ),
        (
            "café",
            "The project name 'café' may only contain ASCII letters, digits, and single '-' "
            "or '_' between them.",
        ),
    ],
)
def test_bad_project_names(raw: str, message: str) -> None:
    with pytest.raises(BadNameError) as caught:
        project_name(raw)
    assert caught.value.message == message
    assert caught.value.hint
    assert caught.value.exit_code == 2


def test_absurdly_long_name() -> None:
    with pytest.raises(BadNameError) as caught:
        project_name("a" * (MAX_PROJECT_NAME + 1))
    assert f"the limit is {MAX_PROJECT_NAME}" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("2fast", "Start it with a letter, e.g. 'app-2fast'."),
        ("my app", "Use a name such as 'my-app'."),
        ("café", "Use a name such as 'cafe-app'."),
        ("Bücher", "Use a name such as 'bucher-app'."),
        ("asyncio", "Pick another name, e.g. 'asyncio-app'."),
        ("class", "Pick another name, e.g. 'class-app'."),
    ],
)
def test_hints_suggest_a_usable_name(raw: str, hint: str) -> None:
    with pytest.raises(BadNameError) as caught:
        project_name(raw)
    assert caught.value.hint == hint
    suggestion = hint.split("'")[1]
    assert project_name(suggestion).raw == suggestion


def test_component_name_refuses_builtins() -> None:
    with pytest.raises(BadNameError) as caught:
        component_name("list", "endpoint")
    assert caught.value.message == (
        "The endpoint name 'list' would shadow Python's built-in 'list'."
    )


def test_component_name_forms() -> None:
    name = component_name("order-items", "endpoint")
    assert (name.snake, name.kebab, name.pascal, name.words) == (
        "order_items",
        "order-items",
        "OrderItems",
        "order items",
    )


@pytest.mark.parametrize(
    ("raw", "singular"),
    [
        ("products", "Product"),
        ("order-items", "OrderItem"),
        ("categories", "Category"),
        ("boxes", "Box"),
        ("status", "Status"),
        ("addresses", "Address"),
        ("news", "News"),
        ("person", "Person"),
        ("people", "Person"),
        ("sales-people", "SalesPerson"),
        ("children", "Child"),
        ("women", "Woman"),
        ("specimen", "Specimen"),
    ],
)
def test_singular_class_names(raw: str, singular: str) -> None:
    assert component_name(raw, "endpoint").singular_pascal == singular


@pytest.mark.parametrize(
    ("raw", "words"),
    [("people", "person"), ("sales_people", "sales person"), ("order-items", "order item")],
)
def test_singular_words(raw: str, words: str) -> None:
    """The words in messages: "Another person already has this email"."""
    assert component_name(raw, "endpoint").singular_words == words


@pytest.mark.parametrize("raw", ["products\n", "products\r\n", "pro\nducts", "products\x00"])
def test_names_with_line_breaks_or_control_characters_are_refused(raw: str) -> None:
    with pytest.raises(BadNameError, match="may only contain ASCII letters"):
        component_name(raw, "endpoint")
    with pytest.raises(BadNameError, match="may only contain ASCII letters"):
        project_name(raw)


def test_component_names_up_to_50_characters_are_accepted() -> None:
    longest = "customer_support_ticket_attachments_and_their_xyz1"
    assert len(longest) == MAX_COMPONENT_NAME == 50
    assert (
        component_name(longest, "endpoint").pascal == "CustomerSupportTicketAttachmentsAndTheirXyz1"
    )
    with pytest.raises(BadNameError, match="is 51 characters long; the limit is 50"):
        component_name(longest + "x", "endpoint")


@pytest.mark.parametrize(
    "raw",
    ["click", "rich", "h11", "idna", "certifi", "sniffio", "email-validator", "Email_Validator"],
)
def test_project_names_from_the_dependency_tree_are_refused(raw: str) -> None:
    with pytest.raises(BadNameError, match="is the name of a package the project depends on"):
        project_name(raw)


def test_the_dependency_names_list_covers_the_installed_dependency_tree() -> None:
    distributions, imports = dependency_names()
    assert {"click", "h11", "email-validator", "celery", "kombu"} <= distributions
    missing = sorted((distributions - DISTRIBUTION_NAMES) | (imports - IMPORT_NAMES))
    assert not missing, f"add to engine/dependency_names.py: {missing}"


def test_database_identifiers_fit_63_bytes_deterministically() -> None:
    name = component_name("customer_support_ticket_attachments_and_their_xyz1", "endpoint")
    index = name.identifier("ix_", "_created_at_and_status")
    assert len(index.encode()) <= MAX_IDENTIFIER_BYTES
    assert index == name.identifier("ix_", "_created_at_and_status")
    assert index.startswith("ix_customer_support_ticket")
    other = name.identifier("ix_", "_created_at_and_statue")
    assert other != index and len(other.encode()) <= MAX_IDENTIFIER_BYTES
    assert name.identifier() == name.snake  # short enough: unchanged
    assert len(database_identifier("é" * 40).encode()) <= MAX_IDENTIFIER_BYTES
