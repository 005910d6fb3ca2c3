import shutil
import smtplib
import subprocess
from email.message import EmailMessage

from PIL import Image


def make_thumbnail(path: str) -> None:
    image = Image.open(path)
    image.thumbnail((128, 128))
    image.save(path + ".thumb.png")


def rebuild_thumbnails(paths: list[str]) -> None:
    for path in paths:
        make_thumbnail(path)


def convert_to_pdf(path: str) -> None:
    subprocess.run(["libreoffice", "--convert-to", "pdf", path], check=True)


def archive(folder: str) -> None:
    shutil.make_archive(folder, "zip", folder)


def send_welcome_email(address: str) -> None:
    message = EmailMessage()
    message["To"] = address
    with smtplib.SMTP("localhost") as smtp:
        smtp.send_message(message)


def read_template(name: str) -> str:
    with open(f"templates/{name}.html") as file:
        return file.read()
