from django.urls import path

from opspor.referrals import views

# Included at the site's root: the e-mails of `delivery.py` link to /referrals/<id>/ and
# /advice/<id>/, so those two addresses are fixed.
app_name = "referrals"
urlpatterns = [
    path("referrals/", views.referral_list, name="list"),
    path("referrals/inbox/", views.inbox, name="unit_inbox"),
    path("referrals/new/<int:patient_id>/", views.referral_new, name="new"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="detail"),
    path("referrals/<int:referral_id>/send/", views.referral_send, name="send"),
    path("referrals/<int:referral_id>/withdraw/", views.referral_withdraw, name="withdraw"),
    path(
        "referrals/<int:referral_id>/acknowledge/",
        views.referral_acknowledge,
        name="acknowledge",
    ),
    path("referrals/<int:referral_id>/accept/", views.referral_accept, name="accept"),
    path("referrals/<int:referral_id>/reject/", views.referral_reject, name="reject"),
    path("referrals/<int:referral_id>/return/", views.referral_return, name="return"),
    path(
        "referrals/<int:referral_id>/first-contact/",
        views.referral_first_contact,
        name="first_contact",
    ),
    path("referrals/<int:referral_id>/book/", views.referral_book, name="book"),
    path("referrals/<int:referral_id>/complete/", views.referral_complete, name="complete"),
    path("referrals/<int:referral_id>/messages/", views.referral_message, name="message"),
    path("advice/new/<int:patient_id>/", views.advice_new, name="advice_new"),
    path("advice/<int:advice_id>/", views.advice_detail, name="advice_detail"),
    path("advice/<int:advice_id>/answer/", views.advice_answer, name="advice_answer"),
    path("advice/<int:advice_id>/close/", views.advice_close, name="advice_close"),
    path("advice/<int:advice_id>/messages/", views.advice_message, name="advice_message"),
    path("advice/<int:advice_id>/refer/", views.referral_from_advice, name="from_advice"),
]
