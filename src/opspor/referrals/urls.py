from django.urls import path

from opspor.referrals.views import advice_actions, cases, lists, new, referral_actions

# Included at the site's root: notification e-mails link to /referrals/<id>/ and
# /advice/<id>/ (each case's `get_absolute_url`), so those two addresses are fixed. An
# action has one name everywhere: the URL's last segment and its name here, the view
# (`referral_<action>`, `advice_request_<action>`), the API's path and the service.
app_name = "referrals"
urlpatterns = [
    path("referrals/", lists.referral_list, name="list"),
    path("referrals/inbox/", lists.inbox, name="unit_inbox"),
    path("referrals/new/<int:patient_id>/", new.referral_new, name="new"),
    path("referrals/<int:referral_id>/", cases.referral_detail, name="detail"),
    path("referrals/<int:referral_id>/send/", referral_actions.referral_send, name="send"),
    path(
        "referrals/<int:referral_id>/withdraw/",
        referral_actions.referral_withdraw,
        name="withdraw",
    ),
    path(
        "referrals/<int:referral_id>/acknowledge-rejection/",
        referral_actions.referral_acknowledge_rejection,
        name="acknowledge_rejection",
    ),
    path("referrals/<int:referral_id>/accept/", referral_actions.referral_accept, name="accept"),
    path("referrals/<int:referral_id>/reject/", referral_actions.referral_reject, name="reject"),
    path(
        "referrals/<int:referral_id>/return-with-advice/",
        referral_actions.referral_return_with_advice,
        name="return_with_advice",
    ),
    path(
        "referrals/<int:referral_id>/record-first-contact/",
        referral_actions.referral_record_first_contact,
        name="record_first_contact",
    ),
    path(
        "referrals/<int:referral_id>/book-appointment/",
        referral_actions.referral_book_appointment,
        name="book_appointment",
    ),
    path(
        "referrals/<int:referral_id>/complete/",
        referral_actions.referral_complete,
        name="complete",
    ),
    path(
        "referrals/<int:referral_id>/messages/",
        referral_actions.referral_message_post,
        name="message_post",
    ),
    path("advice/new/<int:patient_id>/", new.advice_request_new, name="advice_new"),
    path("advice/<int:advice_id>/", cases.advice_request_detail, name="advice_detail"),
    path(
        "advice/<int:advice_id>/answer/",
        advice_actions.advice_request_answer,
        name="advice_answer",
    ),
    path("advice/<int:advice_id>/close/", advice_actions.advice_request_close, name="advice_close"),
    path(
        "advice/<int:advice_id>/messages/",
        advice_actions.advice_request_message_post,
        name="advice_message_post",
    ),
    path("advice/<int:advice_id>/convert/", new.advice_request_convert, name="advice_convert"),
]
