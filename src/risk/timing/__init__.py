"""The payment-timing model of open invoices and the cash-in forecast.

``snapshots`` builds (invoice, snapshot date) rows, ``hazard`` fits a discrete-time hazard of
payment per week with LightGBM on (row, week) pairs, ``predict`` turns the weekly hazards into
P(paid more than L days after due), expected and median payment dates and P(unpaid after 13
weeks), ``evaluate`` scores past dates by days-past-due bucket and ``forecast`` sums the weekly
payment probabilities into the cash-in forecast.
"""
