"""Reading users' text files and writing users' outputs safely."""
from .atomic_write import atomic_path, atomic_write, escape_path, save_figure
from .text_files import TextFileError, read_csv_rows, read_lines, read_text

__all__ = ['TextFileError', 'atomic_path', 'atomic_write', 'escape_path', 'read_csv_rows',
           'read_lines', 'read_text', 'save_figure']
