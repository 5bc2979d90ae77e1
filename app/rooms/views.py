"""Rooms pages: reading and posting work without JavaScript; the socket client enhances them."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.models import Campaign, Message, MessageReport, Organisation, Room, RoomScope, User
from app.orgs.forms import ConfirmForm
from app.permissions import (
    can_create_room,
    can_delete_message,
    can_edit_message,
    can_moderate_room,
    can_post,
    can_report_message,
    can_view_room,
    is_muted,
    require,
    require_or_404,
    room_rights,
)
from app.rooms import bp, services
from app.rooms.forms import MessageForm, ReportForm, RoomForm
from app.rooms.services import RoomError


def _room_or_404(room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    require_or_404(room is not None and can_view_room(current_user, room))
    return room  # type: ignore[return-value]


def _message_or_404(room: Room, message_id: int) -> Message:
    message = db.session.get(Message, message_id)
    if message is None or message.room_id != room.id:
        abort(404)
    return message


@bp.get("/")
@login_required
def index():
    """The rooms this person can see, with unread counts."""
    rooms = services.visible_rooms(current_user)
    return render_template(
        "rooms/index.html",
        rooms=rooms,
        unread=services.unread_counts(current_user, rooms),
        can_open_movement=can_create_room(current_user, RoomScope.MOVEMENT),
        coordinated=[
            m.organisation
            for m in current_user.memberships
            if can_create_room(current_user, RoomScope.ORGANISATION, m.organisation)
        ],
    )


@bp.get("/<int:room_id>")
@login_required
def show(room_id: int):
    """The latest messages — or, after a long absence, the first unread ones — or an older
    page with ?before=; and the form to write."""
    room = _room_or_404(room_id)
    before = request.args.get("before", type=int)
    read_seq = services.read_marker(current_user, room)
    catching_up = False
    if before:
        messages = services.messages_before(room, before)
    elif read_seq and room.last_seq - read_seq > services.PAGE_SIZE:
        # More unread than a page: start at the first unread, never mark unseen ones read.
        messages = services.messages_after(room, read_seq, services.PAGE_SIZE)
        catching_up = True
    else:
        messages = services.latest_messages(room)
    if messages and not before:
        services.mark_read(current_user, room, messages[-1].seq)
    rights = room_rights(current_user, room)
    form = MessageForm(formdata=None, client_id=uuid.uuid4().hex)
    return render_template(
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
        presence=services.present_names(room),
    )


@bp.post("/<int:room_id>/messages")
@login_required
def post(room_id: int):
    """Post from the plain form (the socket client uses the same service)."""
    room = _room_or_404(room_id)
    require(can_post(current_user, room))
    form = MessageForm()
    if form.validate_on_submit():
        try:
            services.post_message(current_user, room, form.body.data, form.client_id.data)
        except RoomError as error:
            flash(str(error), "error")
    else:
        flash(_("Please write a message first."), "error")
    return redirect(url_for("rooms.show", room_id=room.id) + "#composer")


@bp.route("/<int:room_id>/messages/<int:message_id>/edit", methods=["GET", "POST"])
@login_required
def edit(room_id: int, message_id: int):
    room = _room_or_404(room_id)
    message = _message_or_404(room, message_id)
    require(can_edit_message(current_user, message))
    form = MessageForm(obj=message) if request.method == "GET" else MessageForm()
    if form.validate_on_submit():
        try:
            services.edit_message(current_user, message, form.body.data)
        except RoomError as error:
            flash(str(error), "error")
        else:
            return redirect(url_for("rooms.show", room_id=room.id) + f"#m-{message.seq}")
    return render_template("rooms/edit.html", room=room, message=message, form=form)


@bp.post("/<int:room_id>/messages/<int:message_id>/delete")
@login_required
def delete(room_id: int, message_id: int):
    room = _room_or_404(room_id)
    message = _message_or_404(room, message_id)
    require(can_delete_message(current_user, message))
    if ConfirmForm().validate_on_submit():
        services.delete_message(current_user, message)
        flash(_("The message is deleted."), "info")
    return redirect(url_for("rooms.show", room_id=room.id) + f"#m-{message.seq}")


@bp.route("/<int:room_id>/messages/<int:message_id>/report", methods=["GET", "POST"])
@login_required
def report(room_id: int, message_id: int):
    room = _room_or_404(room_id)
    message = _message_or_404(room, message_id)
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
    room = _room_or_404(room_id)
    message = _message_or_404(room, message_id)
    require(can_moderate_room(current_user, room))
    return render_template(
        "rooms/history.html", room=room, message=message, revisions=services.revisions(message)
    )


@bp.get("/<int:room_id>/moderation")
@login_required
def moderation(room_id: int):
    room = _room_or_404(room_id)
    require(can_moderate_room(current_user, room))
    return render_template(
        "rooms/moderation.html",
        room=room,
        reports=services.open_reports(room),
        muted=services.muted_people(room),
        confirm=ConfirmForm(),
    )


@bp.post("/<int:room_id>/reports/<int:report_id>/resolve")
@login_required
def resolve(room_id: int, report_id: int):
    room = _room_or_404(room_id)
    require(can_moderate_room(current_user, room))
    report = db.session.get(MessageReport, report_id)
    if report is None or report.message.room_id != room.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        services.resolve_report(current_user, report)
    return redirect(url_for("rooms.moderation", room_id=room.id))


@bp.post("/<int:room_id>/people/<int:user_id>/<any(mute, unmute):action>")
@login_required
def mute(room_id: int, user_id: int, action: str):
    room = _room_or_404(room_id)
    require(can_moderate_room(current_user, room))
    person = db.session.get(User, user_id)
    if person is None or not can_view_room(person, room):
        abort(404)
    if person.id == current_user.id:
        flash(_("You cannot mute yourself."), "error")
    elif ConfirmForm().validate_on_submit():
        if action == "mute":
            services.mute(current_user, room, person)
            flash(_("%(name)s can no longer write in this room.", name=person.display_name), "info")
        else:
            services.unmute(current_user, room, person)
            flash(_("%(name)s can write again.", name=person.display_name), "success")
    return redirect(url_for("rooms.moderation", room_id=room.id))


@bp.post("/<int:room_id>/archive")
@login_required
def archive(room_id: int):
    room = _room_or_404(room_id)
    require(can_moderate_room(current_user, room))
    if ConfirmForm().validate_on_submit():
        services.archive_room(current_user, room)
        flash(_("The room is archived: it can be read but not written in."), "info")
    return redirect(url_for("rooms.show", room_id=room.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Open a room for the movement (admins) or for an organisation (its coordinators)."""
    org = campaign = None
    if slug := request.args.get("org"):
        org = db.session.scalar(db.select(Organisation).where(Organisation.slug == slug))
        require_or_404(org is not None)
        scope = RoomScope.ORGANISATION
    elif slug := request.args.get("campaign"):
        campaign = db.session.scalar(db.select(Campaign).where(Campaign.slug == slug))
        require_or_404(campaign is not None)
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
    return render_template("rooms/mentions.html", messages=services.mentions_of(current_user))
