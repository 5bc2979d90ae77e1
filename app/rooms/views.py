"""Rooms pages: reading and posting work without JavaScript; the socket client enhances them."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.campaigns.queries import get_campaign_or_404
from app.errors import ServiceError
from app.formtools import ConfirmForm, choices, confirm_page
from app.models import RoomScope
from app.orgs.queries import coordinated_orgs, get_org_or_404
from app.permissions import (
    can_create_room,
    can_delete_message,
    can_edit_message,
    can_moderate_room,
    can_mute,
    can_post,
    can_report_message,
    is_muted,
    require,
    room_rights,
)
from app.rooms import bp, queries, services
from app.rooms.forms import MessageForm, ReportForm, RoomForm, RoomSettingsForm
from app.rooms.queries import get_message_or_404, get_report_or_404, get_room_or_404
from app.urls import arg_int


@bp.get("/")
@login_required
def index():
    """The rooms this person can see, with unread counts."""
    rooms = queries.visible_rooms(current_user)
    return render_template(
        "rooms/index.html",
        rooms=rooms,
        unread=queries.unread_counts(current_user, rooms),
        can_open_movement=can_create_room(current_user, RoomScope.MOVEMENT),
        coordinated=coordinated_orgs(current_user),
        waiting=queries.waiting_reports(current_user),
    )


@bp.get("/<int:room_id>")
@login_required
def show(room_id: int):
    """A room's messages, and the form to write.

    The latest messages — or, after a long absence, the first unread ones — or an older page
    with ?before=.
    """
    room = get_room_or_404(room_id, current_user)
    before = arg_int("before")
    read_seq = queries.read_marker(current_user, room)
    catching_up = False
    if before:
        messages = queries.messages_before(room, before)
    elif read_seq and room.last_seq - read_seq > queries.PAGE_SIZE:
        # More unread than a page: start at the first unread, never mark unseen ones read.
        messages = queries.messages_after(room, read_seq, queries.PAGE_SIZE)
        catching_up = True
    else:
        messages = queries.latest_messages(room)
    rights = room_rights(current_user, room)
    form = MessageForm(formdata=None, client_id=uuid.uuid4().hex)
    page = render_template(
        "rooms/room.html",
        room=room,
        messages=messages,
        read_seq=read_seq,
        older=messages and messages[0].seq > 1,
        newer=bool(before),
        catching_up=catching_up,
        form=form,
        confirm=ConfirmForm(),
        rights=rights,
        can_post=rights.post,
        muted=is_muted(current_user, room),
        moderator=rights.moderate,
        presence=queries.present_names(room),
        # A mention of the reader is marked from the Mention table: the stored HTML is
        # rendered once for everyone and never changed per reader.
        mentions_me=queries.mentioning(current_user, messages),
        waiting=queries.waiting_reports(current_user, room) if rights.moderate else 0,
    )
    if messages and not before and messages[-1].seq > read_seq:
        # Only when there is something new: one statement, after rendering (its commit
        # expires what the page shows). A view of a room already read writes nothing.
        services.mark_read(current_user, room, messages[-1].seq)
    return page


@bp.post("/<int:room_id>/messages")
@login_required
def post(room_id: int):
    """Post from the plain form (the socket client uses the same service)."""
    room = get_room_or_404(room_id, current_user)
    require(can_post(current_user, room))
    form = MessageForm()
    if form.validate_on_submit():
        try:
            services.post_message(current_user, room, form.body.data, form.client_id.data)
        except ServiceError as error:
            flash(str(error), "error")
    else:
        flash(_("Please write a message first."), "error")
    return redirect(url_for("rooms.show", room_id=room.id) + "#composer")


@bp.route("/<int:room_id>/messages/<int:message_id>/edit", methods=["GET", "POST"])
@login_required
def edit(room_id: int, message_id: int):
    """Change a message's text, then go back to it in the room."""
    room = get_room_or_404(room_id, current_user)
    message = get_message_or_404(room, message_id)
    require(can_edit_message(current_user, message))
    form = MessageForm(obj=message) if request.method == "GET" else MessageForm()
    if form.validate_on_submit():
        try:
            services.edit_message(current_user, message, form.body.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            return redirect(url_for("rooms.show", room_id=room.id) + f"#m-{message.seq}")
    return render_template("rooms/edit.html", room=room, message=message, form=form)


@bp.route("/<int:room_id>/messages/<int:message_id>/delete", methods=["GET", "POST"])
@login_required
def delete(room_id: int, message_id: int):
    """Delete a message (asked once more), leaving a tombstone; back to its place in the room."""
    room = get_room_or_404(room_id, current_user)
    message = get_message_or_404(room, message_id)
    require(can_delete_message(current_user, message))
    back = url_for("rooms.show", room_id=room.id) + f"#m-{message.seq}"
    if request.method == "GET":
        return confirm_page(
            _("Delete this message?"),
            _(
                "Everyone in the room will see that a message was deleted here. "
                "It cannot be undone."
            ),
            _("Delete the message"),
            back,
        )
    if ConfirmForm().validate_on_submit():
        services.delete_message(current_user, message)
        flash(_("The message is deleted."), "info")
    return redirect(url_for("rooms.show", room_id=room.id) + f"#m-{message.seq}")


@bp.route("/<int:room_id>/messages/<int:message_id>/report", methods=["GET", "POST"])
@login_required
def report(room_id: int, message_id: int):
    """Report a message to the room's moderators."""
    room = get_room_or_404(room_id, current_user)
    message = get_message_or_404(room, message_id)
    require(can_report_message(current_user, message))
    form = ReportForm()
    if form.validate_on_submit():
        services.report_message(current_user, message, form.reason.data or "")
        flash(_("Thank you. The moderators of this room will look at it."), "success")
        return redirect(url_for("rooms.show", room_id=room.id))
    return render_template("rooms/report.html", room=room, message=message, form=form)


@bp.get("/<int:room_id>/messages/<int:message_id>/history")
@login_required
def history(room_id: int, message_id: int):
    """Earlier texts of an edited or deleted message, for moderators."""
    room = get_room_or_404(room_id, current_user)
    message = get_message_or_404(room, message_id)
    require(can_moderate_room(current_user, room))
    return render_template(
        "rooms/history.html", room=room, message=message, revisions=queries.revisions(message)
    )


@bp.get("/<int:room_id>/moderation")
@login_required
def moderation(room_id: int):
    """The room's moderation page: open reports and who is muted."""
    room = get_room_or_404(room_id, current_user)
    require(can_moderate_room(current_user, room))
    return render_template(
        "rooms/moderation.html",
        room=room,
        reports=queries.open_reports(room, current_user),
        muted=queries.muted_people(room),
        confirm=ConfirmForm(),
        rights=room_rights(current_user, room),
    )


@bp.post("/<int:room_id>/reports/<int:report_id>/resolve")
@login_required
def resolve(room_id: int, report_id: int):
    """Close a report once one of its reviewers has looked at it (never the person reported)."""
    report = get_report_or_404(room_id, report_id, current_user)
    if ConfirmForm().validate_on_submit():
        services.resolve_report(current_user, report)
    if request.args.get("back") == "reports" or not can_moderate_room(
        current_user, report.message.room
    ):
        return redirect(url_for("rooms.reports"))
    return redirect(url_for("rooms.moderation", room_id=room_id))


@bp.post("/<int:room_id>/people/<int:user_id>/<any(mute, unmute):action>")
@login_required
def mute(room_id: int, user_id: int, action: str):
    """Silence someone in a room, or let them write again."""
    room = get_room_or_404(room_id, current_user)
    require(can_moderate_room(current_user, room))
    person = queries.get_reader_or_404(room, user_id)
    require(can_mute(current_user, room, person))
    if ConfirmForm().validate_on_submit():
        if action == "mute":
            services.mute(current_user, room, person)
            flash(_("%(name)s can no longer write in this room.", name=person.display_name), "info")
        else:
            services.unmute(current_user, room, person)
            flash(_("%(name)s can write again.", name=person.display_name), "success")
    return redirect(url_for("rooms.moderation", room_id=room.id))


@bp.route("/<int:room_id>/archive", methods=["GET", "POST"])
@login_required
def archive(room_id: int):
    """Make a room read-only (asked once more): it can be read but not written in."""
    room = get_room_or_404(room_id, current_user)
    require(can_moderate_room(current_user, room))
    if request.method == "GET":
        return confirm_page(
            _("Archive the room “%(room)s”?", room=room.name),
            _(
                "Nobody will be able to write in it any more; everyone who could read it still "
                "can. A moderator can open it again from the room settings."
            ),
            _("Archive the room"),
            url_for("rooms.settings", room_id=room.id),
        )
    if ConfirmForm().validate_on_submit():
        services.archive_room(current_user, room)
        flash(_("The room is archived: it can be read but not written in."), "info")
    return redirect(url_for("rooms.show", room_id=room.id))


@bp.post("/<int:room_id>/unarchive")
@login_required
def unarchive(room_id: int):
    """Open an archived room again for writing."""
    room = get_room_or_404(room_id, current_user)
    require(can_moderate_room(current_user, room))
    if ConfirmForm().validate_on_submit():
        services.unarchive_room(current_user, room)
        flash(_("The room is open again: everyone who can read it can write in it."), "success")
    return redirect(url_for("rooms.show", room_id=room.id))


@bp.route("/<int:room_id>/settings", methods=["GET", "POST"])
@login_required
def settings(room_id: int):
    """Rename a room or change whom it is for, among the places this moderator may open rooms.

    Whoever can no longer read it leaves it at once, live too.
    """
    room = get_room_or_404(room_id, current_user)
    require(can_moderate_room(current_user, room))
    places = queries.room_places(current_user, room)
    form = RoomSettingsForm(obj=room if request.method == "GET" else None)
    form.audience.choices = choices((key, label) for key, (label, *_) in places.items())
    if request.method == "GET":
        form.audience.data = queries.place_key(room)
    if form.validate_on_submit():
        _label, scope, org, campaign = places[form.audience.data]
        services.update_room(
            current_user, room, form.name.data, form.description.data or "", scope, org, campaign
        )
        flash(_("The room is saved."), "success")
        return redirect(url_for("rooms.show", room_id=room.id))
    return render_template("rooms/settings.html", form=form, room=room, confirm=ConfirmForm())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Open a room for the movement (admins) or for an organisation (its coordinators)."""
    org = campaign = None
    if slug := request.args.get("org"):
        org = get_org_or_404(slug, current_user)
        scope = RoomScope.ORGANISATION
    elif slug := request.args.get("campaign"):
        campaign = get_campaign_or_404(slug, current_user)
        scope = RoomScope.CAMPAIGN
    else:
        scope = RoomScope.MOVEMENT
    require(can_create_room(current_user, scope, org, campaign))
    form = RoomForm()
    if form.validate_on_submit():
        room = services.create_room(
            current_user, scope, form.name.data, form.description.data or "", org, campaign
        )
        flash(_("The room is open."), "success")
        return redirect(url_for("rooms.show", room_id=room.id))
    return render_template("rooms/new.html", form=form, org=org, campaign=campaign)


@bp.get("/mentions")
@login_required
def mentions():
    """Messages that name this person, newest first, in rooms they can still read."""
    return render_template("rooms/mentions.html", messages=queries.mentions_of(current_user))


@bp.get("/reports")
@login_required
def reports():
    """Every report waiting for this person, in all rooms (sent on to admins included)."""
    return render_template(
        "rooms/reports.html", reports=queries.reports_for(current_user), confirm=ConfirmForm()
    )


@bp.get("/formatting")
@login_required
def formatting():
    """A short help page: how to write bold, italic, links, lists, quotes and mentions."""
    return render_template("rooms/formatting.html")
