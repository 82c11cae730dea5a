"""Models covering every ``on_delete`` case the soft delete has to get right."""

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models

from shared_core.models import BaseModel, unique_among_active


class Item(BaseModel):
    """No relations: a queryset delete is exactly one UPDATE."""

    name = models.CharField(max_length=100)
    quantity = models.IntegerField(default=0)


class Note(BaseModel):
    """Attached to any object through a generic key (object IDs stored as text)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    text = models.CharField(max_length=200)


class Author(BaseModel):
    name = models.CharField(max_length=100)
    email = models.EmailField()
    notes = GenericRelation(Note)

    class Meta:
        constraints = [unique_among_active("email")]

    def __str__(self) -> str:
        return self.name


class Tag(BaseModel):
    name = models.CharField(max_length=50)


class Book(BaseModel):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=100)
    tags = models.ManyToManyField(Tag, related_name="books", blank=True)
    notes = GenericRelation(Note)

    def __str__(self) -> str:
        return self.title


class Chapter(BaseModel):
    """Second cascade level: Author -> Book -> Chapter."""

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="chapters")
    title = models.CharField(max_length=100)


class Review(BaseModel):
    """SET_NULL: a soft delete of the book must leave the link in place."""

    book = models.ForeignKey(
        Book, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews"
    )
    text = models.CharField(max_length=200)


class Contract(BaseModel):
    """PROTECT: an active contract blocks deleting its author."""

    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="contracts")


class Award(BaseModel):
    """RESTRICT to the author, CASCADE from the book: allowed when the book goes too."""

    author = models.ForeignKey(Author, on_delete=models.RESTRICT, related_name="awards")
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="awards")


class AuditNote(models.Model):
    """Not a BaseModel (think: a third-party model pointing at a user), CASCADE."""

    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="audit_notes")
    text = models.CharField(max_length=200)


class Node(BaseModel):
    """A tree: the cascade follows a self-referencing foreign key level by level."""

    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    name = models.CharField(max_length=50)


class Profile(BaseModel):
    """A reverse one-to-one: ``author.profile`` must agree with select/prefetch_related."""

    author = models.OneToOneField(Author, on_delete=models.CASCADE, related_name="profile")
    bio = models.CharField(max_length=200, blank=True)


class Edition(BaseModel):
    """A two-field ``unique_among_active`` (a form-wide error, as Django's unique_together)."""

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="editions")
    number = models.PositiveIntegerField()

    class Meta:
        constraints = [unique_among_active("book", "number")]
