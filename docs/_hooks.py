"""MkDocs hook: publish docs/README.md (the developer guide) as /developer/.

MkDocs treats a README.md beside index.md as a second home page and drops it; the
developer guide stays README.md (so GitHub shows it when the folder is opened) and
is published under its own URL, with links to README.md from other pages resolved.
"""

from mkdocs.structure.files import File, InclusionLevel


def on_files(files, config):
    old = files.get_file_from_path("README.md")
    if old is not None:
        files.remove(old)
    files.append(
        File(
            "README.md",
            config["docs_dir"],
            config["site_dir"],
            config["use_directory_urls"],
            dest_uri="developer/index.html",
            inclusion=InclusionLevel.INCLUDED,
        )
    )
    return files
